"""Loading the data contract: schema, readers, validation, sources and the loaded data set."""
