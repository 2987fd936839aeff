"""The Omani working-day calendar: Friday-Saturday weekend, public holidays from the `holidays`
package, and holidays that admins declare, cancel or move. Working days are counted only here."""
