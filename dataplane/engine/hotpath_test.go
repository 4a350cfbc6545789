package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// hotFiles hold the per-packet path.
var hotFiles = []string{"process.go", "dr.go", "worker.go", "schedule.go", "owner.go", "counters.go", "mailbox.go",
	"nat.go", "tun.go", "icmp.go", "icmperr.go", "frame.go",
	"persist.go", "mark.go", "fullnat.go", "sctp.go", "sync.go", "syncapply.go", "syncring.go",
	"pesip.go", "reuse.go", "../sip/callid.go", "local.go", "fullnaticmp.go", "onepacket.go", "prefetch.go", "../conntrack/detach.go",
	"../snapshot/mark.go", "../snapshot/persist.go"}

// TestHotPathHasNoLocksMapsOrLogging guards the rules of the per-packet
// path beside the allocation tests: no fmt or logging, no mutexes, no maps,
// no goroutines, no closures, no defer.
func TestHotPathHasNoLocksMapsOrLogging(t *testing.T) {
	banned := map[string]bool{"fmt": true, "log": true, "log/slog": true, "sync": true, "reflect": true}
	fset := token.NewFileSet()
	for _, name := range hotFiles {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if banned[p] {
				t.Errorf("%s imports %s", name, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.MapType:
				t.Errorf("%s: map type at %s", name, fset.Position(n.Pos()))
			case *ast.GoStmt:
				t.Errorf("%s: go statement at %s", name, fset.Position(n.Pos()))
			case *ast.FuncLit:
				t.Errorf("%s: closure at %s", name, fset.Position(n.Pos()))
			case *ast.DeferStmt:
				t.Errorf("%s: defer at %s", name, fset.Position(n.Pos()))
			}
			return true
		})
	}
}
