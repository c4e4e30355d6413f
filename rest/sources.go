package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// listInfrastructures answers GET /api/v1/infrastructures: every
// infrastructure kind with its parameters.
func (s *server) listInfrastructures(c *gin.Context) {
	c.JSON(http.StatusOK, kindList(s.b.Infrastructures(c.Request.Context())))
}

// listPolicies answers GET /api/v1/policies: every policy kind with its
// parameters.
func (s *server) listPolicies(c *gin.Context) {
	c.JSON(http.StatusOK, kindList(s.b.Policies(c.Request.Context())))
}

// kindList makes empty lists [] rather than null.
func kindList(kinds []api.KindInfo) []api.KindInfo {
	out := make([]api.KindInfo, len(kinds))
	for i, k := range kinds {
		if k.Params == nil {
			k.Params = []api.Param{}
		}
		out[i] = k
	}
	return out
}

// sourceName reads the :name path parameter, a node source name. Source
// names follow the rules of node names.
func sourceName(c *gin.Context) (string, error) {
	name := c.Param("name")
	if api.ValidateNodeName(name) != nil {
		return "", badRequest("invalid node source name %q: use letters, digits, '-' and '_' "+
			"(at most 63, starting with a letter or digit)", name)
	}
	return name, nil
}

// listSources answers GET /api/v1/node-sources with the sources the
// caller may use or administer.
func (s *server) listSources(c *gin.Context) {
	list, err := s.b.ListSources(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	out := make([]api.NodeSource, len(list))
	for i, src := range list {
		out[i] = sourceView(src)
	}
	c.JSON(http.StatusOK, out)
}

// sourceView makes an empty node count {} rather than null.
func sourceView(src api.NodeSource) api.NodeSource {
	if src.Nodes == nil {
		src.Nodes = map[api.NodeState]int{}
	}
	return src
}

// getSource answers GET /api/v1/node-sources/:name.
func (s *server) getSource(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	s.answerSource(c, http.StatusOK, func(p Principal) (api.NodeSource, error) {
		return s.b.GetSource(c.Request.Context(), p, name)
	})
}

// createSource answers POST /api/v1/node-sources with 201 and the source.
func (s *server) createSource(c *gin.Context) {
	var spec api.NodeSourceSpec
	if err := decodeStrict(c, &spec, false); err != nil {
		s.abort(c, err)
		return
	}
	s.answerSource(c, http.StatusCreated, func(p Principal) (api.NodeSource, error) {
		return s.b.CreateSource(c.Request.Context(), p, spec)
	})
}

// updateSource answers PATCH /api/v1/node-sources/:name; the body is an
// api.NodeSourceUpdate.
func (s *server) updateSource(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var u api.NodeSourceUpdate
	if err = decodeStrict(c, &u, false); err != nil {
		s.abort(c, err)
		return
	}
	s.answerSource(c, http.StatusOK, func(p Principal) (api.NodeSource, error) {
		return s.b.UpdateSource(c.Request.Context(), p, name, u)
	})
}

// deploySource answers POST /api/v1/node-sources/:name/deploy.
func (s *server) deploySource(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	s.answerSource(c, http.StatusOK, func(p Principal) (api.NodeSource, error) {
		return s.b.DeploySource(c.Request.Context(), p, name)
	})
}

// undeploySource answers POST /api/v1/node-sources/:name/undeploy; the
// body, an api.UndeployRequest, may be left out.
func (s *server) undeploySource(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var req api.UndeployRequest
	if err = decodeStrict(c, &req, true); err != nil {
		s.abort(c, err)
		return
	}
	s.answerSource(c, http.StatusOK, func(p Principal) (api.NodeSource, error) {
		return s.b.UndeploySource(c.Request.Context(), p, name, req)
	})
}

// deleteSource answers DELETE /api/v1/node-sources/:name?preempt= with 204.
func (s *server) deleteSource(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var errs []api.FieldError
	preempt := queryBool(c, "preempt", &errs)
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	if err = s.b.DeleteSource(c.Request.Context(), principal(c), name, preempt); err != nil {
		s.abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// answerSource runs a source call as the caller and answers the source
// with status.
func (s *server) answerSource(c *gin.Context, status int, call func(Principal) (api.NodeSource, error)) {
	src, err := call(principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(status, sourceView(src))
}
