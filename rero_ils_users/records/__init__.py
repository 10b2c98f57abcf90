"""Shared record machinery: base record, schemas, unit of work, indexing, search."""
