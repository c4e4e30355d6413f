package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shrike-grid/shrike/node"
)

// cmdNodeJoin is `shrike node join`: trade an enrollment token for this
// node's own credentials and save them, without running the agent.
func cmdNodeJoin(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node join", "--server URL (--token-file FILE | --token TOKEN) [flags]",
		"Trades an enrollment token of a node source (shrike source token create SOURCE) for this\n"+
			"node's own credentials and saves them (mode 0600) where the agent looks for them.",
		"shrike node join --server http://10.0.0.5:8080 --token-file /etc/shrike/enroll-token --work-dir /var/lib/shrike-node")
	server := fs.String("server", "", "the server's REST URL, http://HOST:PORT (env "+envNodeServer+")")
	token := fs.String("token", "", "enrollment token (env "+envNodeToken+"; prefer --token-file)")
	tokenFile := fs.String("token-file", "", "file holding the enrollment token")
	name := fs.String("name", "", "node name wanted (default: host name)")
	workDir := fs.String("work-dir", defaultNodeWorkDir, "the agent's work directory, where the credentials go by default")
	fs.StringVar(workDir, "work", defaultNodeWorkDir, "same as --work-dir")
	credentials := fs.String("credentials", "", "credentials file to write (default <work-dir>/"+node.CredentialsFile+")")
	force := fs.Bool("force", false, "replace an existing credentials file")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	o := &agentOptions{server: firstOf(*server, e.getenv(envNodeServer)), token: firstOf(*token, e.getenv(envNodeToken)),
		tokenFile: *tokenFile, name: *name, workDir: *workDir, credentials: *credentials}
	if o.server == "" {
		return usageErrorf("node join: --server is required (the server's REST URL, http://HOST:PORT)")
	}
	enroll, err := o.enrollToken()
	if err != nil {
		return err
	}
	if enroll == "" {
		return usageErrorf("node join: an enrollment token is required (--token-file, --token or %s; create one with 'shrike source token create SOURCE')", envNodeToken)
	}
	if o.name == "" {
		host, _ := os.Hostname()
		o.name = node.SanitizeName(host)
	}
	path := o.credentialsPath()
	if _, err := os.Lstat(path); err == nil && !*force {
		what := "credentials"
		if c, err := node.ReadCredentials(path); err == nil {
			what = "the credentials of node " + c.Name
		}
		return fmt.Errorf("node join: %s already holds %s: pass --force to replace them", path, what)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("node join: %w", err)
	}
	creds, err := node.Join(ctx, o.server, enroll, o.name)
	if err != nil {
		return err
	}
	if err := node.WriteCredentials(path, creds); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fmt.Fprintf(e.stdout, "Joined as node %s of source %s.\nCredentials: %s\n", creds.Name, orDash(creds.Source), abs)
	if o.credentials == "" {
		fmt.Fprintf(e.stdout, "Start the agent: shrike node --work-dir %s\n", filepath.Dir(abs))
	} else {
		fmt.Fprintf(e.stdout, "Start the agent: shrike node --credentials %s\n", abs)
	}
	return nil
}
