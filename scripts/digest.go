package scripts

// Digest is the hex SHA-256 of a script's source: the Digest its Script
// would have once compiled.
func Digest(src string) string { return digestOf(src) }
