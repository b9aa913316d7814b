"""Design documentation (ICP-1.3): diagrams and a document built from the design file."""
