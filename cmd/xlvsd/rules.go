package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/xlvs/xlvs/ctrl/ipvsadm"
	"github.com/xlvs/xlvs/ctrl/rules"
	"github.com/xlvs/xlvs/ctrl/server"
)

// rulesOptions are the persistent-rules flags.
type rulesOptions struct {
	rulesFile string
	saveRules bool
}

func (o *rulesOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.rulesFile, "rules", "", "rules file in ipvsadm -S format, loaded at start")
	fs.BoolVar(&o.saveRules, "save-rules", false, "write every change made through the control socket back to the --rules file (atomically, before answering)")
}

func (o *rulesOptions) check() error {
	if o.saveRules && o.rulesFile == "" {
		return fmt.Errorf("--save-rules needs --rules FILE")
	}
	return nil
}

// loadRules applies the --rules file to the model. With --save-rules a
// missing file is an empty table (the first change creates it); without,
// it is an error. Errors name the file and line and give ipvsadm's text.
func (d *daemon) loadRules(o *rulesOptions) error {
	if o.rulesFile == "" {
		return nil
	}
	n, err := rules.Load(o.rulesFile, d.model, ipvsadm.SystemNames())
	switch {
	case err == nil:
		d.log.Info("rules loaded", "file", o.rulesFile, "rules", n)
	case errors.Is(err, os.ErrNotExist) && o.saveRules:
		d.log.Info("rules file does not exist yet: starting with an empty table", "file", o.rulesFile)
	default:
		return err
	}
	if !o.saveRules {
		return nil
	}
	d.saver = rules.NewSaver(o.rulesFile, d.model)
	if err == nil {
		// The file holds the table: save only when something changes.
		return d.saver.Sync()
	}
	return nil
}

// controlHandler is what the control socket executes: the model, saving
// every successful change with --save-rules.
func (d *daemon) controlHandler() server.Handler {
	if d.saver == nil {
		return d.model
	}
	return rules.Saving(d.model, d.saver, d.log)
}
