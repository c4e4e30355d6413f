package jobspec

import "gopkg.in/yaml.v3"

// MaxTaskNodes is the most nodes one task may ask for at once.
const MaxTaskNodes = 1024

// queue reads the job's queue name (nameRE; the server's configuration
// lists the queues).
func (p *parser) queue(path string, n *yaml.Node) string {
	s, ok := p.str(path, n)
	if ok && !nameRE.MatchString(s) {
		p.errorf(path, n, "invalid queue name %q: use 1 to 64 letters, digits, '_', '.' and '-', starting with a letter or digit", s)
		return ""
	}
	return s
}

// taskNodes reads how many nodes a task needs at once: 1 to MaxTaskNodes.
func (p *parser) taskNodes(path string, n *yaml.Node) int {
	v, ok := p.integer(path, n)
	if !ok {
		return 0
	}
	if v < 1 || v > MaxTaskNodes {
		p.errorf(path, n, "must be between 1 and %d, got %d", MaxTaskNodes, v)
		return 0
	}
	return int(v)
}
