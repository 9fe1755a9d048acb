"""Discovery: sources behind one interface, scoring, candidates with history and rights."""
