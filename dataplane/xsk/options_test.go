package xsk

import (
	"errors"
	"testing"
	"time"
)

func TestUMEMOptionsValidate(t *testing.T) {
	ok := DefaultUMEMOptions()
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultUMEMOptions().Validate() = %v", err)
	}
	if ok.FrameSize != 2048 || ok.FrameCount != 4096 || ok.HugePages {
		t.Errorf("DefaultUMEMOptions() = %+v, want 2048 x 4096 without huge pages", ok)
	}
	for _, tc := range []struct {
		name string
		edit func(*UMEMOptions)
		want string
	}{
		{"frame size 3000", func(o *UMEMOptions) { o.FrameSize = 3000 }, "xsk: invalid frame size 3000: must be 2048 or 4096"},
		{"frame size 0", func(o *UMEMOptions) { o.FrameSize = 0 }, "xsk: invalid frame size 0: must be 2048 or 4096"},
		{"frame size 8192", func(o *UMEMOptions) { o.FrameSize = 8192 }, "xsk: invalid frame size 8192: must be 2048 or 4096"},
		{"frame count 0", func(o *UMEMOptions) { o.FrameCount = 0 }, "xsk: invalid frame count 0: must be positive"},
		{"frame count negative", func(o *UMEMOptions) { o.FrameCount = -1 }, "xsk: invalid frame count -1: must be positive"},
		{"frame count huge", func(o *UMEMOptions) { o.FrameCount = MaxFrameCount + 1 }, "xsk: invalid frame count 16777217: must be at most 16777216"},
		{"frame size 4096", func(o *UMEMOptions) { o.FrameSize = 4096 }, ""},
		{"one frame", func(o *UMEMOptions) { o.FrameCount = 1 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultUMEMOptions()
			tc.edit(&o)
			checkOptionError(t, o.Validate(), tc.want)
			u, err := NewUMEM(o)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("NewUMEM(%+v) = %v", o, err)
				}
				u.Close()
				return
			}
			if u != nil {
				t.Errorf("NewUMEM(%+v) returned a UMEM with error %v", o, err)
			}
			checkOptionError(t, err, tc.want)
		})
	}
}

func TestSocketOptionsValidate(t *testing.T) {
	def := DefaultSocketOptions()
	if err := def.Validate(); err != nil {
		t.Fatalf("DefaultSocketOptions().Validate() = %v", err)
	}
	if def.FillSize != 2048 || def.CompletionSize != 2048 || def.RXSize != 2048 || def.TXSize != 2048 ||
		def.Mode != ModeAuto || !def.NeedWakeup || def.BusyPoll {
		t.Errorf("DefaultSocketOptions() = %+v, want 2048-entry rings, ModeAuto, NeedWakeup, no busy poll", def)
	}
	for _, tc := range []struct {
		name string
		edit func(*SocketOptions)
		want string
	}{
		{"fill 1000", func(o *SocketOptions) { o.FillSize = 1000 }, "xsk: invalid fill ring size 1000: must be a power of two"},
		{"fill 0", func(o *SocketOptions) { o.FillSize = 0 }, "xsk: invalid fill ring size 0: must be a power of two"},
		{"completion -4", func(o *SocketOptions) { o.CompletionSize = -4 }, "xsk: invalid completion ring size -4: must be a power of two"},
		{"completion too big", func(o *SocketOptions) { o.CompletionSize = MaxRingSize * 2 }, "xsk: invalid completion ring size 8388608: must be at most 4194304"},
		{"rx 3", func(o *SocketOptions) { o.RXSize = 3 }, "xsk: invalid RX ring size 3: must be a power of two"},
		{"tx 6", func(o *SocketOptions) { o.TXSize = 6 }, "xsk: invalid TX ring size 6: must be a power of two"},
		{"no rx no tx", func(o *SocketOptions) { o.RXSize, o.TXSize = 0, 0 }, "xsk: invalid RX and TX ring sizes 0: at least one must be set"},
		{"tx only", func(o *SocketOptions) { o.RXSize = 0 }, ""},
		{"rx only", func(o *SocketOptions) { o.TXSize = 0 }, ""},
		{"ring of 1", func(o *SocketOptions) { o.FillSize = 1 }, ""},
		{"mode 7", func(o *SocketOptions) { o.Mode = 7 }, "xsk: invalid mode 7: must be ModeAuto, ModeCopy or ModeZeroCopy"},
		{"busy poll 0 usecs", func(o *SocketOptions) { o.BusyPoll, o.BusyPollUsecs = true, 0 }, "xsk: invalid busy-poll time 0: must be a positive number of microseconds"},
		{"busy poll negative usecs", func(o *SocketOptions) { o.BusyPollUsecs = -1 }, "xsk: invalid busy-poll time -1: must be a positive number of microseconds"},
		{"busy poll budget 0", func(o *SocketOptions) { o.BusyPoll, o.BusyPollBudget = true, 0 }, "xsk: invalid busy-poll budget 0: must be between 1 and 65535"},
		{"busy poll budget big", func(o *SocketOptions) { o.BusyPollBudget = 65536 }, "xsk: invalid busy-poll budget 65536: must be between 1 and 65535"},
		{"busy poll off, zero values", func(o *SocketOptions) { o.BusyPollUsecs, o.BusyPollBudget = 0, 0 }, ""},
		{"busy poll on", func(o *SocketOptions) { o.BusyPoll = true }, ""},
		{"tx budget 16", func(o *SocketOptions) { o.TXBudget = 16 }, "xsk: invalid TX budget 16: must be 0 or between 32 and the TX ring size 2048"},
		{"tx budget above ring", func(o *SocketOptions) { o.TXBudget = 4096 }, "xsk: invalid TX budget 4096: must be 0 or between 32 and the TX ring size 2048"},
		{"tx budget 64", func(o *SocketOptions) { o.TXBudget = 64 }, ""},
		{"busy retry negative", func(o *SocketOptions) { o.BusyRetry = -time.Millisecond }, "xsk: invalid busy retry -1ms: must not be negative"},
		{"no busy retry", func(o *SocketOptions) { o.BusyRetry = 0 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultSocketOptions()
			tc.edit(&o)
			checkOptionError(t, o.Validate(), tc.want)
			if tc.want == "" {
				return
			}
			// Bind validates before any system call, so this needs no root.
			u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			s, err := u.Bind(1, 0, o)
			if s != nil {
				s.Close()
				t.Fatalf("Bind with %+v succeeded", o)
			}
			checkOptionError(t, err, tc.want)
		})
	}
}

func TestBindInvalidTarget(t *testing.T) {
	u, err := NewUMEM(UMEMOptions{FrameSize: 2048, FrameCount: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_, err = u.Bind(0, 0, DefaultSocketOptions())
	checkOptionError(t, err, "xsk: invalid interface index 0: must be positive")
	_, err = u.Bind(1, -1, DefaultSocketOptions())
	checkOptionError(t, err, "xsk: invalid queue -1: must not be negative")
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Bind(1, 0, DefaultSocketOptions()); !errors.Is(err, ErrClosed) {
		t.Errorf("Bind on a closed UMEM = %v, want ErrClosed", err)
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{ModeAuto: "auto", ModeCopy: "copy", ModeZeroCopy: "zero-copy", 9: "Mode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
}

// checkOptionError checks that err is nil when want is empty, and
// otherwise an *OptionError matching ErrInvalidOption with message want.
func checkOptionError(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("got error %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	var oe *OptionError
	if !errors.As(err, &oe) || !errors.Is(err, ErrInvalidOption) {
		t.Errorf("error %v is not an *OptionError matching ErrInvalidOption", err)
	}
}
