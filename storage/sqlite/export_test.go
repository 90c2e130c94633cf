package sqlite

// WithWriterPragma sets a pragma ("name(value)") on the writer connection:
// max_page_count(n) makes the database "full" at n pages.
func WithWriterPragma(p string) Option {
	return func(c *config) { c.writerPragmas = append(c.writerPragmas, p) }
}
