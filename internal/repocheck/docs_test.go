package repocheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// sourceDirs returns every directory under root holding a non-test Go
// file, relative to root, skipping testdata and hidden directories.
func sourceDirs(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		dir, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		if !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d package directories under %s", len(dirs), root)
	}
	return dirs
}

// TestEveryPackageHasDocGo checks that every package has a doc.go that
// carries its package comment.
func TestEveryPackageHasDocGo(t *testing.T) {
	for _, dir := range sourceDirs(t) {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, dir, "doc.go"), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Errorf("%s: no doc.go: %v", dir, err)
			continue
		}
		if f.Doc == nil {
			t.Errorf("%s/doc.go has no package comment", dir)
		}
	}
}

// TestExportedNamesHaveDocComments checks that every exported function,
// method of an exported type, type, variable and constant outside tests
// and generated files has a doc comment (a group's comment covers the
// names of a const or var group).
func TestExportedNamesHaveDocComments(t *testing.T) {
	for _, dir := range sourceDirs(t) {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, filepath.Join(root, dir), func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range pkgs {
			for _, f := range pkg.Files {
				if ast.IsGenerated(f) {
					continue
				}
				for _, name := range undocumented(f) {
					pos := fset.Position(name.Pos())
					rel, _ := filepath.Rel(root, pos.Filename)
					t.Errorf("%s:%d: exported %s has no doc comment", rel, pos.Line, name.Name)
				}
			}
		}
	}
}

// undocumented returns the exported names of f declared without a doc
// comment.
func undocumented(f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Doc == nil && d.Name.IsExported() && exportedReceiver(d) {
				out = append(out, d.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
						out = append(out, s.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Doc == nil && s.Comment == nil && d.Doc == nil {
							out = append(out, n)
						}
					}
				}
			}
		}
	}
	return out
}

// exportedReceiver reports whether d is a function or a method of an
// exported type (methods of unexported types are not documentation).
func exportedReceiver(d *ast.FuncDecl) bool {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return true
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}

// TestUndocumentedFindsNames checks the checker on a source with one name
// of every kind missing its comment, and documented ones.
func TestUndocumentedFindsNames(t *testing.T) {
	src := `package x

func F() {}

// G is documented.
func G() {}

type T int

func (T) M() {}

func (*T) N() {}

type u int

func (u) Hidden() {}

var V = 1

const (
	// A is documented.
	A = 1
	B = 2 // B is documented at the end of its line.
	C = 3
)

// Group covers its names.
var (
	D = 1
	E = 2
)
`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range undocumented(f) {
		got = append(got, n.Name)
	}
	if want := "F T M N V C"; strings.Join(got, " ") != want {
		t.Errorf("undocumented = %q, want %q", strings.Join(got, " "), want)
	}
}
