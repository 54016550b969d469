"""mcpgen.sources"""
