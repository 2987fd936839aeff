"""The public's requests that are not licences: complaints, suggestions and comments,
inquiries and support tickets (issue 14)."""
