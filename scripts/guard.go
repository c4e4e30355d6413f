package scripts

import (
	"fmt"
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// gopher-lua has no allocation hook, and two of its VM operations can
// allocate without bound in a single instruction:
//
//   - `a .. b` concatenates inside the VM, so `s = s .. s` thirty times
//     builds a gigabyte between two budget checks;
//   - `t[k] = v` with an integer key k far beyond the table's array part
//     fills every slot in between (t[2^26-1] = 1 allocates 1 GiB).
//
// Compile therefore rewrites the script before compiling it:
//
//	a .. b             →  (concat)(a, b)
//	t[k] = v           →  (setindex)(t, k, v)      (k not a string constant)
//	a[i], b.x = f()    →  do local (o1), (k1), (o2), (k2) = a, i, b, "x"
//	                         local (v1), (v2) = f()
//	                         (setindex)((o2), (k2), (v2)); (setindex)((o1), (k1), (v1)) end
//	{p1, [k] = v, x=1} →  (newtable)({p1}, k, v, "x", 1)   (if a key is not a string constant)
//
// where the functions (sandbox.luaConcat, luaSetIndex, luaNewTable) check
// sizes and charge the evaluation's memory budget. Assignments with a
// constant string key (t.x = v) and constructors with only such keys are
// left alone: they cannot fill an array.
//
// The functions reach the script as the first parameters of the function
// its code is wrapped in; their names are not Lua identifiers, so no
// script can refer to them, shadow them or replace them:
//
//	return (function((concat), (setindex), (newtable), ...) <script> end)(...)
//
// The evaluation calls the compiled chunk with the three functions
// followed by the script's arguments, so inside the script `...` is the
// argument list. Temporaries use names that are not identifiers either.
const (
	concatName   = "(concat)"
	setIndexName = "(setindex)"
	newTableName = "(newtable)"
)

// hiddenParams are the wrapper's parameters, in the order the evaluation
// passes them.
var hiddenParams = []string{concatName, setIndexName, newTableName}

// guardChunk rewrites the parsed chunk as described above.
func guardChunk(chunk []ast.Stmt) ([]ast.Stmt, error) {
	if err := guardStmts(chunk); err != nil {
		return nil, err
	}
	first, last := 1, 1
	if len(chunk) > 0 {
		first, last = chunk[0].Line(), chunk[len(chunk)-1].LastLine()
	}
	inner := &ast.FunctionExpr{
		ParList: &ast.ParList{HasVargs: true, Names: hiddenParams},
		Stmts:   chunk,
	}
	call := &ast.FuncCallExpr{Func: inner, Args: []ast.Expr{&ast.Comma3Expr{}}}
	ret := &ast.ReturnStmt{Exprs: []ast.Expr{call}}
	for _, n := range []ast.PositionHolder{inner, call, ret} {
		n.SetLine(first)
		n.SetLastLine(last)
	}
	return []ast.Stmt{ret}, nil
}

func guardStmts(stmts []ast.Stmt) error {
	for i, st := range stmts {
		g, err := guardStmt(st)
		if err != nil {
			return err
		}
		stmts[i] = g
	}
	return nil
}

// guardStmt rewrites one statement. An unknown node type is an error: a
// newer parser must not let code past the guard.
func guardStmt(st ast.Stmt) (ast.Stmt, error) {
	var err error
	switch s := st.(type) {
	case *ast.AssignStmt:
		return guardAssign(s)
	case *ast.LocalAssignStmt:
		err = guardList(s.Exprs)
	case *ast.FuncCallStmt:
		err = guardInPlace(s.Expr)
	case *ast.DoBlockStmt:
		err = guardStmts(s.Stmts)
	case *ast.WhileStmt:
		if s.Condition, err = guardExpr(s.Condition); err == nil {
			err = guardStmts(s.Stmts)
		}
	case *ast.RepeatStmt:
		if s.Condition, err = guardExpr(s.Condition); err == nil {
			err = guardStmts(s.Stmts)
		}
	case *ast.IfStmt:
		if s.Condition, err = guardExpr(s.Condition); err == nil {
			if err = guardStmts(s.Then); err == nil {
				err = guardStmts(s.Else)
			}
		}
	case *ast.NumberForStmt:
		if s.Init, err = guardExpr(s.Init); err == nil {
			if s.Limit, err = guardExpr(s.Limit); err == nil {
				if s.Step, err = guardExpr(s.Step); err == nil {
					err = guardStmts(s.Stmts)
				}
			}
		}
	case *ast.GenericForStmt:
		if err = guardList(s.Exprs); err == nil {
			err = guardStmts(s.Stmts)
		}
	case *ast.FuncDefStmt:
		// function a.b.c() and function a:m() assign with constant string
		// keys, which cannot fill an array.
		if s.Name != nil {
			if err = guardInPlace(s.Name.Func); err == nil {
				err = guardInPlace(s.Name.Receiver)
			}
		}
		if err == nil {
			err = guardStmts(s.Func.Stmts)
		}
	case *ast.ReturnStmt:
		err = guardList(s.Exprs)
	case *ast.BreakStmt, *ast.LabelStmt, *ast.GotoStmt:
	default:
		err = fmt.Errorf("unsupported statement %T", st)
	}
	return st, err
}

// guardedIndex reports whether an assignment target must go through
// (setindex): an indexing whose key is not a constant string.
func guardedIndex(e ast.Expr) bool {
	a, ok := e.(*ast.AttrGetExpr)
	if !ok {
		return false
	}
	_, constString := a.Key.(*ast.StringExpr)
	return !constString
}

func guardAssign(s *ast.AssignStmt) (ast.Stmt, error) {
	for _, target := range s.Lhs {
		if err := guardInPlace(target); err != nil {
			return nil, err
		}
	}
	if err := guardList(s.Rhs); err != nil {
		return nil, err
	}
	guard := false
	for _, target := range s.Lhs {
		guard = guard || guardedIndex(target)
	}
	if !guard {
		return s, nil
	}
	line, last := s.Line(), s.LastLine()
	if len(s.Lhs) == 1 {
		a := s.Lhs[0].(*ast.AttrGetExpr)
		args := append([]ast.Expr{a.Object, a.Key}, s.Rhs...)
		return at(&ast.FuncCallStmt{Expr: hiddenCall(setIndexName, args, line, last)}, line, last), nil
	}

	// Several targets: evaluate the targets' tables and keys, then the
	// values, then assign (last target first, as Lua 5.1 does).
	var names, values []string
	var exprs []ast.Expr
	for i, target := range s.Lhs {
		if a, ok := target.(*ast.AttrGetExpr); ok {
			o, k := "(o"+strconv.Itoa(i)+")", "(k"+strconv.Itoa(i)+")"
			names = append(names, o, k)
			exprs = append(exprs, a.Object, a.Key)
		}
		values = append(values, "(v"+strconv.Itoa(i)+")")
	}
	body := []ast.Stmt{
		at(&ast.LocalAssignStmt{Names: names, Exprs: exprs}, line, last),
		at(&ast.LocalAssignStmt{Names: values, Exprs: s.Rhs}, line, last),
	}
	for i := len(s.Lhs) - 1; i >= 0; i-- {
		v := ident(values[i], line, last)
		if _, ok := s.Lhs[i].(*ast.AttrGetExpr); ok {
			o := ident("(o"+strconv.Itoa(i)+")", line, last)
			k := ident("(k"+strconv.Itoa(i)+")", line, last)
			body = append(body, at(&ast.FuncCallStmt{Expr: hiddenCall(setIndexName, []ast.Expr{o, k, v}, line, last)}, line, last))
			continue
		}
		body = append(body, at(&ast.AssignStmt{Lhs: []ast.Expr{s.Lhs[i]}, Rhs: []ast.Expr{v}}, line, last))
	}
	return at(&ast.DoBlockStmt{Stmts: body}, line, last), nil
}

func guardList(list []ast.Expr) error {
	for i, e := range list {
		g, err := guardExpr(e)
		if err != nil {
			return err
		}
		list[i] = g
	}
	return nil
}

// guardInPlace rewrites inside an expression whose own node must stay
// as it is (an assignment target, a call statement, a function name).
func guardInPlace(e ast.Expr) error {
	if e == nil {
		return nil
	}
	g, err := guardExpr(e)
	if err == nil && g != e {
		err = fmt.Errorf("line %d: cannot guard this expression", e.Line())
	}
	return err
}

// guardExpr returns e rewritten. Nil (an absent for-loop step) stays nil.
func guardExpr(e ast.Expr) (ast.Expr, error) {
	var err error
	switch x := e.(type) {
	case nil:
		return nil, nil
	case *ast.StringConcatOpExpr:
		if x.Lhs, err = guardExpr(x.Lhs); err != nil {
			return nil, err
		}
		if x.Rhs, err = guardExpr(x.Rhs); err != nil {
			return nil, err
		}
		call := hiddenCall(concatName, []ast.Expr{x.Lhs, x.Rhs}, x.Line(), x.LastLine())
		call.AdjustRet = true
		return call, nil
	case *ast.TableExpr:
		return guardTable(x)
	case *ast.TrueExpr, *ast.FalseExpr, *ast.NilExpr, *ast.NumberExpr, *ast.StringExpr,
		*ast.Comma3Expr, *ast.IdentExpr:
	case *ast.AttrGetExpr:
		if x.Object, err = guardExpr(x.Object); err == nil {
			x.Key, err = guardExpr(x.Key)
		}
	case *ast.FuncCallExpr:
		if x.Func, err = guardExpr(x.Func); err != nil {
			return nil, err
		}
		if x.Receiver, err = guardExpr(x.Receiver); err != nil {
			return nil, err
		}
		err = guardList(x.Args)
	case *ast.LogicalOpExpr:
		if x.Lhs, err = guardExpr(x.Lhs); err == nil {
			x.Rhs, err = guardExpr(x.Rhs)
		}
	case *ast.RelationalOpExpr:
		if x.Lhs, err = guardExpr(x.Lhs); err == nil {
			x.Rhs, err = guardExpr(x.Rhs)
		}
	case *ast.ArithmeticOpExpr:
		if x.Lhs, err = guardExpr(x.Lhs); err == nil {
			x.Rhs, err = guardExpr(x.Rhs)
		}
	case *ast.UnaryMinusOpExpr:
		x.Expr, err = guardExpr(x.Expr)
	case *ast.UnaryNotOpExpr:
		x.Expr, err = guardExpr(x.Expr)
	case *ast.UnaryLenOpExpr:
		x.Expr, err = guardExpr(x.Expr)
	case *ast.FunctionExpr:
		err = guardStmts(x.Stmts)
	default:
		err = fmt.Errorf("unsupported expression %T", e)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// guardTable rewrites a constructor with a key that is not a constant
// string into (newtable)({positional fields}, k1, v1, k2, v2, ...).
func guardTable(x *ast.TableExpr) (ast.Expr, error) {
	guard := false
	for _, f := range x.Fields {
		var err error
		if f.Key, err = guardExpr(f.Key); err != nil {
			return nil, err
		}
		if f.Value, err = guardExpr(f.Value); err != nil {
			return nil, err
		}
		if f.Key != nil {
			_, constString := f.Key.(*ast.StringExpr)
			guard = guard || !constString
		}
	}
	if !guard {
		return x, nil
	}
	positional := at(&ast.TableExpr{}, x.Line(), x.LastLine())
	args := []ast.Expr{positional}
	for _, f := range x.Fields {
		if f.Key == nil {
			positional.Fields = append(positional.Fields, f)
			continue
		}
		args = append(args, oneValue(f.Key), oneValue(f.Value))
	}
	call := hiddenCall(newTableName, args, x.Line(), x.LastLine())
	call.AdjustRet = true
	return call, nil
}

// oneValue makes a call or `...` yield exactly one value, as it does as a
// table field.
func oneValue(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.FuncCallExpr:
		x.AdjustRet = true
	case *ast.Comma3Expr:
		x.AdjustRet = true
	}
	return e
}

func hiddenCall(name string, args []ast.Expr, line, last int) *ast.FuncCallExpr {
	return at(&ast.FuncCallExpr{Func: ident(name, line, last), Args: args}, line, last)
}

func ident(name string, line, last int) *ast.IdentExpr {
	return at(&ast.IdentExpr{Value: name}, line, last)
}

// at sets the position of a synthetic node to the code it stands for, so
// that errors point at the script's line.
func at[N ast.PositionHolder](n N, line, last int) N {
	n.SetLine(line)
	n.SetLastLine(last)
	return n
}
