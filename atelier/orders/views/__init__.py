"""Order pages, one module per audience: customer (and the shared order page), expert, review."""
