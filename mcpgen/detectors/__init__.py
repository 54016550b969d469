"""mcpgen.detectors"""
