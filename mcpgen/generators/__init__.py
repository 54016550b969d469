"""mcpgen.generators"""
