"""Pages: records and certificates, the sandbox outbox."""
