package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// nodeFilter is what GET /nodes?state=&locked=&source= keeps.
type nodeFilter struct {
	states  []api.NodeState
	locked  *bool    // nil: locked or not
	sources []string // empty: any source
}

// keep reports whether n passes the filter.
func (f nodeFilter) keep(n api.Node) bool {
	if len(f.states) > 0 && !slices.Contains(f.states, n.State) {
		return false
	}
	if len(f.sources) > 0 && !slices.Contains(f.sources, n.Source) {
		return false
	}
	return f.locked == nil || *f.locked == (n.Locked != nil)
}

// listNodes answers GET /api/v1/nodes?state=&locked=&source=. The Backend
// lists every node; the filters are applied here.
func (s *server) listNodes(c *gin.Context) {
	f, errs := readNodeFilter(c)
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	nodes, err := s.b.ListNodes(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	kept := make([]api.Node, 0, len(nodes))
	for _, n := range nodes {
		if f.keep(n) {
			kept = append(kept, n)
		}
	}
	c.JSON(http.StatusOK, kept)
}

// readNodeFilter reads the filters of GET /nodes. States and sources may
// repeat (state=A&state=B) or be comma-separated (state=A,B); states in
// any case.
func readNodeFilter(c *gin.Context) (nodeFilter, []api.FieldError) {
	var (
		f    nodeFilter
		errs []api.FieldError
	)
	for _, part := range queryList(c, "state") {
		st, ok := parseNodeState(part)
		if !ok {
			errs = append(errs, api.FieldError{Field: "state",
				Message: "unknown node state " + strings.ToUpper(part) + ": want one of " + nodeStateNames()})
			continue
		}
		f.states = append(f.states, st)
	}
	if _, ok := c.GetQuery("locked"); ok {
		locked := queryBool(c, "locked", &errs)
		f.locked = &locked
	}
	f.sources = queryList(c, "source")
	return f, errs
}

// parseNodeState reads a node state name, case-insensitively.
func parseNodeState(s string) (api.NodeState, bool) {
	for _, st := range api.NodeStates {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

// nodeStateNames lists the node states for error messages.
func nodeStateNames() string {
	names := make([]string, len(api.NodeStates))
	for i, st := range api.NodeStates {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// nodeName reads the :id path parameter, a node name.
func nodeName(c *gin.Context) (string, error) {
	name := c.Param("id")
	if err := api.ValidateNodeName(name); err != nil {
		return "", badRequest("%v", err)
	}
	return name, nil
}

// getNode answers GET /api/v1/nodes/:id with the node, its facts and its
// history.
func (s *server) getNode(c *gin.Context) {
	name, err := nodeName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	d, err := s.b.GetNode(c.Request.Context(), principal(c), name)
	if err != nil {
		s.abort(c, err)
		return
	}
	if d.History == nil {
		d.History = []api.NodeEvent{}
	}
	c.JSON(http.StatusOK, d)
}

// lockNode answers POST /api/v1/nodes/:id/lock. The body, a
// NodeLockRequest with the reason, may be left out.
func (s *server) lockNode(c *gin.Context) {
	name, err := nodeName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var req api.NodeLockRequest
	if err = decodeOptionalJSON(c, &req); err != nil {
		s.abort(c, err)
		return
	}
	s.answerNode(c, func(p Principal) (api.Node, error) {
		return s.b.LockNode(c.Request.Context(), p, name, strings.TrimSpace(req.Reason))
	})
}

// unlockNode answers POST /api/v1/nodes/:id/unlock.
func (s *server) unlockNode(c *gin.Context) {
	name, err := nodeName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	s.answerNode(c, func(p Principal) (api.Node, error) {
		return s.b.UnlockNode(c.Request.Context(), p, name)
	})
}

// drainNode answers POST (on) and DELETE (cancel) /api/v1/nodes/:id/drain.
func (s *server) drainNode(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		name, err := nodeName(c)
		if err != nil {
			s.abort(c, err)
			return
		}
		s.answerNode(c, func(p Principal) (api.Node, error) {
			return s.b.DrainNode(c.Request.Context(), p, name, on)
		})
	}
}

// answerNode runs a node change as the caller and answers the node after it.
func (s *server) answerNode(c *gin.Context, change func(Principal) (api.Node, error)) {
	n, err := change(principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

// removeNode answers DELETE /api/v1/nodes/:id?force= with 204.
func (s *server) removeNode(c *gin.Context) {
	name, err := nodeName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var errs []api.FieldError
	force := queryBool(c, "force", &errs)
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	if err = s.b.RemoveNode(c.Request.Context(), principal(c), name, force); err != nil {
		s.abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
