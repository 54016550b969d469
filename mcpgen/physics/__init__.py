"""mcpgen.physics"""
