package server

import (
	"os"
	"path/filepath"
)

// writeDataFile replaces the file name in the data dir with data, durably
// and atomically: a temporary file beside it is written and synced, then
// renamed over the old one, so a crash leaves the old content or the new,
// never a mix.
func (s *Server) writeDataFile(name string, data []byte) error {
	f, err := os.CreateTemp(s.cfg.DataDir, name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.cfg.DataDir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
