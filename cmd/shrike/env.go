package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// env is what a command may touch of the outside world; tests fake it.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(key string) string
	// configDir is os.UserConfigDir; credentials live under it.
	configDir func() (string, error)
	// stdoutIsTerminal tells whether to draw progress bars.
	stdoutIsTerminal func() bool
	// readPassword asks for a secret without echoing it.
	readPassword func(prompt string) (string, error)
}

// osEnv is the real environment.
func osEnv() *env {
	return &env{
		stdin:            os.Stdin,
		stdout:           os.Stdout,
		stderr:           os.Stderr,
		getenv:           os.Getenv,
		configDir:        os.UserConfigDir,
		stdoutIsTerminal: func() bool { return term.IsTerminal(int(os.Stdout.Fd())) },
		readPassword:     readTerminalPassword,
	}
}

// readTerminalPassword prompts on stderr and reads a line from the
// terminal without echo.
func readTerminalPassword(prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("no terminal to ask for the password on")
	}
	fmt.Fprint(os.Stderr, prompt)
	pass, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(pass), nil
}

// secret returns the value of the environment variable key, or asks for it.
func (e *env) secret(key, prompt string) (string, error) {
	if v := e.getenv(key); v != "" {
		return v, nil
	}
	v, err := e.readPassword(prompt)
	if err != nil {
		return "", fmt.Errorf("%w (or set %s)", err, key)
	}
	if v == "" {
		return "", errors.New("empty password")
	}
	return v, nil
}
