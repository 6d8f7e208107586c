"""Request ingestion: extraction, identity, the batching writer."""
