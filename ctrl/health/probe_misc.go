package health

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// probeMisc runs the MISC_CHECK program in its own process group and
// reads its exit code: 0 healthy (with the configured weight), 1 down,
// 2..255 healthy with weight code-2 under misc_dynamic and down
// otherwise. At misc_timeout the whole group is killed and the check
// fails.
func (c *Checker) probeMisc(ctx context.Context, ch Check) result {
	if len(ch.MiscPath) == 0 {
		return result{err: errors.New("MISC_CHECK without misc_path"), weight: -1}
	}
	cmd := exec.Command(ch.MiscPath[0], ch.MiscPath[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var started bool
	err := c.cfg.Enter(func() error {
		err := cmd.Start()
		started = err == nil
		return err
	})
	if !started {
		return result{err: fmt.Errorf("start %s: %w", ch.MiscPath[0], err), weight: -1}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return result{err: fmt.Errorf("%w: %s killed", ErrCheckTimeout, ch.MiscPath[0]), weight: -1}
	}
	code := cmd.ProcessState.ExitCode()
	switch {
	case err == nil:
		return result{weight: -1}
	case code >= 2 && code <= 255 && ch.MiscDynamic:
		return result{weight: int32(code - 2)}
	case code < 0:
		return result{err: fmt.Errorf("%w: %s: %v", ErrExit, ch.MiscPath[0], cmd.ProcessState), weight: -1}
	}
	return result{err: fmt.Errorf("%w: %s exited with %d", ErrExit, ch.MiscPath[0], code), weight: -1}
}
