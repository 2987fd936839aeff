"""What the public reads without asking: frequently asked questions, announcements, their feeds."""
