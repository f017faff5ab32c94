"""Raw-file parsers: each turns one published file format into `estimation.cells.ParsedTable`."""
