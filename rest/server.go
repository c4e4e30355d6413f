package rest

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// Defaults for Options.
const (
	DefaultMaxBodyBytes = 10 << 20
	DefaultLogPoll      = 200 * time.Millisecond
	DefaultEventPing    = 15 * time.Second
)

// Options configures the HTTP handler returned by New.
type Options struct {
	// Logger receives request logs (Debug) and server-side failures (Error).
	// Nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; larger ones get 413.
	// Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// LogPoll is how often a followed task log asks the Backend for more
	// output. Zero means DefaultLogPoll.
	LogPoll time.Duration
	// EventPing is how often GET /events sends a comment on a stream
	// with nothing to say. Zero means DefaultEventPing.
	EventPing time.Duration
}

// server holds what the handlers share.
type server struct {
	b         Backend
	log       *slog.Logger
	maxBody   int64
	logPoll   time.Duration
	eventPing time.Duration
}

// New returns the HTTP handler of the REST API (under /api/v1), the health
// check (/healthz) and the web page (/).
func New(b Backend, opts Options) http.Handler {
	s := &server{b: b, log: opts.Logger, maxBody: opts.MaxBodyBytes, logPoll: opts.LogPoll, eventPing: opts.EventPing}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.logPoll <= 0 {
		s.logPoll = DefaultLogPoll
	}
	if s.eventPing <= 0 {
		s.eventPing = DefaultEventPing
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.RedirectTrailingSlash = false
	r.Use(s.recoverPanics, s.logRequests, s.limitBody)
	r.NoRoute(notFoundRoute)
	r.NoMethod(notFoundRoute)
	s.routes(r)
	return r
}

// routes registers every route. Only /healthz, the web page, login, a
// node's join (whose enrollment token is its authority) and file
// transfers (whose capability token is) are open; everything else under
// /api/v1 requires a bearer token.
func (s *server) routes(r *gin.Engine) {
	r.GET("/", serveWebPage)
	r.GET("/healthz", s.health)

	v1 := r.Group("/api/v1")
	v1.POST("/auth/login", s.login)
	v1.POST("/nodes/join", s.joinNode)
	v1.GET("/transfer/:space/*path", s.transferGet)
	v1.HEAD("/transfer/:space/*path", s.transferGet)
	v1.PUT("/transfer/:space/*path", s.transferPut)

	authed := v1.Group("", s.authenticate)
	authed.POST("/auth/logout", s.logout)

	authed.POST("/jobs", s.submitJob)
	authed.GET("/jobs", s.listJobs)
	authed.GET("/jobs/:id", s.getJob)
	authed.GET("/jobs/:id/spec", s.getJobSpec)
	authed.GET("/jobs/:id/explain", s.explainJob)
	authed.DELETE("/jobs/:id", s.killJob)
	authed.PUT("/jobs/:id/priority", s.putJobPriority)
	authed.GET("/jobs/:id/tasks/:task/logs", s.taskLog)
	authed.GET("/jobs/:id/result", s.jobResults)
	authed.GET("/jobs/:id/tasks/:task/result", s.taskResult)
	authed.GET("/jobs/:id/server-logs", s.jobServerLogs)
	authed.POST("/jobs/:id/tasks/:task/exec", s.execTask)
	s.controlRoutes(authed)
	for _, space := range []string{api.SpaceInput, api.SpaceOutput} {
		authed.GET("/jobs/:id/"+space, s.jobSpaceGet(space))
		authed.GET("/jobs/:id/"+space+"/*path", s.jobSpaceGet(space))
		authed.HEAD("/jobs/:id/"+space+"/*path", s.jobSpaceGet(space))
	}
	authed.PUT("/jobs/:id/input/*path", s.jobInputPut)

	authed.GET("/spaces/:space", s.spaceGet)
	authed.GET("/spaces/:space/*path", s.spaceGet)
	authed.HEAD("/spaces/:space/*path", s.spaceGet)
	authed.PUT("/spaces/:space/*path", s.spacePut)
	authed.DELETE("/spaces/:space/*path", s.spaceDelete)
	authed.POST("/spaces/:space/*path", s.spacePost)

	authed.GET("/nodes", s.listNodes)
	authed.GET("/nodes/:id", s.getNode)
	authed.DELETE("/nodes/:id", s.removeNode)
	authed.POST("/nodes/:id/lock", s.lockNode)
	authed.POST("/nodes/:id/unlock", s.unlockNode)
	authed.POST("/nodes/:id/drain", s.drainNode(true))
	authed.DELETE("/nodes/:id/drain", s.drainNode(false))

	authed.GET("/rm", s.rmStats)
	authed.GET("/rm/events", s.rmEvents)
	authed.GET("/rm/history", s.rmHistory)
	authed.GET("/events", s.events)

	authed.GET("/infrastructures", s.listInfrastructures)
	authed.GET("/policies", s.listPolicies)
	authed.GET("/node-sources", s.listSources)
	authed.POST("/node-sources", s.createSource)
	authed.GET("/node-sources/:name", s.getSource)
	authed.PATCH("/node-sources/:name", s.updateSource)
	authed.DELETE("/node-sources/:name", s.deleteSource)
	authed.POST("/node-sources/:name/deploy", s.deploySource)
	authed.POST("/node-sources/:name/undeploy", s.undeploySource)
	authed.POST("/node-sources/:name/tokens", s.createEnrollToken)
	authed.GET("/node-sources/:name/tokens", s.listEnrollTokens)
	authed.DELETE("/node-sources/:name/tokens/:id", s.revokeEnrollToken)

	authed.POST("/scripts/test", s.testScript)

	authed.GET("/scheduler", s.getScheduler)
	authed.PUT("/scheduler", s.putScheduler)
	authed.GET("/scheduler/stats", s.schedulerStats)
	authed.GET("/queues", s.listQueues)
	authed.GET("/queues/:name", s.getQueue)

	authed.POST("/users", s.createUser)
	authed.GET("/users", s.listUsers)
}

// health answers GET /healthz.
func (s *server) health(c *gin.Context) {
	c.JSON(http.StatusOK, api.Health{Status: "ok", Version: api.Version})
}
