"""Receipts and credit notes: gapless numbers, bilingual PDFs, public verification."""
