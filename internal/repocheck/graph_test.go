package repocheck

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path that go list prefixes every package with.
const module = "github.com/xlvs/xlvs/"

// edge is one import: From imports To (paths relative to the module).
type edge struct{ From, To string }

// TestArchitectureGraphMatchesImports checks that the mermaid graph of
// ARCHITECTURE.md lists exactly the project-internal imports of the
// non-test code, as `go list -f '{{.ImportPath}}: {{join .Imports " "}}'
// ./...` reports them.
func TestArchitectureGraphMatchesImports(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented, err := mermaidEdges(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, &stderr)
	}
	actual := importEdges(out)
	for e := range actual {
		if !documented[e] {
			t.Errorf("ARCHITECTURE.md's graph lacks %s --> %s", e.From, e.To)
		}
	}
	for e := range documented {
		if !actual[e] {
			t.Errorf("ARCHITECTURE.md's graph has %s --> %s, which go list does not report", e.From, e.To)
		}
	}
}

// importEdges parses go list's "path: imports..." lines into the imports
// between the module's packages.
func importEdges(out []byte) map[edge]bool {
	edges := map[edge]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		pkg, imports, _ := strings.Cut(sc.Text(), ": ")
		from := strings.TrimPrefix(pkg, module)
		for _, imp := range strings.Fields(imports) {
			if to, ok := strings.CutPrefix(imp, module); ok {
				edges[edge{from, to}] = true
			}
		}
	}
	return edges
}

// mermaidEdges returns the edges of the first ```mermaid block of doc:
// lines "a --> b", where either side may list nodes joined by "&".
func mermaidEdges(doc string) (map[edge]bool, error) {
	_, rest, ok := strings.Cut(doc, "```mermaid\n")
	if !ok {
		return nil, errNoGraph
	}
	block, _, _ := strings.Cut(rest, "```")
	edges := map[edge]bool{}
	for line := range strings.Lines(block) {
		left, right, ok := strings.Cut(line, "-->")
		if !ok {
			continue
		}
		for _, from := range strings.Split(left, "&") {
			for _, to := range strings.Split(right, "&") {
				edges[edge{strings.TrimSpace(from), strings.TrimSpace(to)}] = true
			}
		}
	}
	if len(edges) == 0 {
		return nil, errNoGraph
	}
	return edges, nil
}

// errNoGraph means ARCHITECTURE.md has no mermaid block with edges.
var errNoGraph = errors.New("ARCHITECTURE.md: no mermaid graph with edges")

func TestMermaidEdges(t *testing.T) {
	got, err := mermaidEdges("text\n```mermaid\ngraph TD\n  a --> b & c\n  d & e --> f\n```\n```mermaid\n  x --> y\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for e := range got {
		list = append(list, e.From+">"+e.To)
	}
	slices.Sort(list)
	if want := "a>b a>c d>f e>f"; strings.Join(list, " ") != want {
		t.Errorf("edges %q, want %q", strings.Join(list, " "), want)
	}
	if _, err := mermaidEdges("no graph"); err == nil {
		t.Error("no error without a graph")
	}
}
