package scripts

import (
	"fmt"

	"github.com/yuin/gopher-lua/ast"
)

// gopher-lua has no allocation hook and concatenates strings inside the
// VM, so a script doubling a string thirty times (`s = s .. s`) would
// build a gigabyte between two budget checks. Compile therefore rewrites
// every `a .. b` into a call of a hidden function that checks the length
// and charges the evaluation's memory budget (sandbox.concat). The
// function reaches the script as the first parameter of the function the
// script's code is wrapped in; its name, concatName, is not a Lua
// identifier, so no script can refer to it, shadow it or replace it:
//
//	return (function(<concatName>, ...) <script> end)(...)
//
// The evaluation calls the compiled chunk with the concatenation function
// followed by the script's arguments, so inside the script `...` is the
// argument list, as it is for a task.
const concatName = "(concat)"

// guardChunk rewrites the parsed chunk as described above.
func guardChunk(chunk []ast.Stmt) ([]ast.Stmt, error) {
	if err := guardStmts(chunk); err != nil {
		return nil, err
	}
	inner := &ast.FunctionExpr{
		ParList: &ast.ParList{HasVargs: true, Names: []string{concatName}},
		Stmts:   chunk,
	}
	first, last := 1, 1
	if len(chunk) > 0 {
		first, last = chunk[0].Line(), chunk[len(chunk)-1].LastLine()
	}
	inner.SetLine(first)
	inner.SetLastLine(last)
	call := &ast.FuncCallExpr{Func: inner, Args: []ast.Expr{&ast.Comma3Expr{}}}
	call.SetLine(first)
	call.SetLastLine(last)
	ret := &ast.ReturnStmt{Exprs: []ast.Expr{call}}
	ret.SetLine(first)
	ret.SetLastLine(last)
	return []ast.Stmt{ret}, nil
}

func guardStmts(stmts []ast.Stmt) error {
	for _, st := range stmts {
		if err := guardStmt(st); err != nil {
			return err
		}
	}
	return nil
}

// guardStmt rewrites the expressions inside one statement. An unknown
// node type is an error: a newer parser must not let code past the guard.
func guardStmt(st ast.Stmt) error {
	var err error
	switch s := st.(type) {
	case *ast.AssignStmt:
		if err = guardInPlace(s.Lhs); err == nil {
			err = guardList(s.Rhs)
		}
	case *ast.LocalAssignStmt:
		err = guardList(s.Exprs)
	case *ast.FuncCallStmt:
		err = guardInPlace([]ast.Expr{s.Expr})
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
		if s.Init, err = guardExpr(s.Init); err != nil {
			return err
		}
		if s.Limit, err = guardExpr(s.Limit); err != nil {
			return err
		}
		if s.Step, err = guardExpr(s.Step); err != nil {
			return err
		}
		err = guardStmts(s.Stmts)
	case *ast.GenericForStmt:
		if err = guardList(s.Exprs); err == nil {
			err = guardStmts(s.Stmts)
		}
	case *ast.FuncDefStmt:
		if s.Name != nil {
			if err = guardInPlace([]ast.Expr{s.Name.Func, s.Name.Receiver}); err != nil {
				return err
			}
		}
		err = guardStmts(s.Func.Stmts)
	case *ast.ReturnStmt:
		err = guardList(s.Exprs)
	case *ast.BreakStmt, *ast.LabelStmt, *ast.GotoStmt:
	default:
		err = fmt.Errorf("unsupported statement %T", st)
	}
	return err
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

// guardInPlace rewrites inside expressions whose own node must stay as it
// is (assignment targets, call statements). None of them is ever a
// concatenation.
func guardInPlace(list []ast.Expr) error {
	for _, e := range list {
		if e == nil {
			continue
		}
		if _, isConcat := e.(*ast.StringConcatOpExpr); isConcat {
			return fmt.Errorf("unexpected concatenation at line %d", e.Line())
		}
		if _, err := guardExpr(e); err != nil {
			return err
		}
	}
	return nil
}

// guardExpr returns e with every concatenation in it replaced by a call
// of concatName. Nil (an absent for-loop step) stays nil.
func guardExpr(e ast.Expr) (ast.Expr, error) {
	var err error
	switch x := e.(type) {
	case nil:
		return nil, nil
	case *ast.StringConcatOpExpr:
		lhs, lerr := guardExpr(x.Lhs)
		if lerr != nil {
			return nil, lerr
		}
		rhs, rerr := guardExpr(x.Rhs)
		if rerr != nil {
			return nil, rerr
		}
		fn := &ast.IdentExpr{Value: concatName}
		fn.SetLine(x.Line())
		fn.SetLastLine(x.LastLine())
		call := &ast.FuncCallExpr{Func: fn, Args: []ast.Expr{lhs, rhs}, AdjustRet: true}
		call.SetLine(x.Line())
		call.SetLastLine(x.LastLine())
		return call, nil
	case *ast.TrueExpr, *ast.FalseExpr, *ast.NilExpr, *ast.NumberExpr, *ast.StringExpr,
		*ast.Comma3Expr, *ast.IdentExpr:
	case *ast.AttrGetExpr:
		if x.Object, err = guardExpr(x.Object); err == nil {
			x.Key, err = guardExpr(x.Key)
		}
	case *ast.TableExpr:
		for _, f := range x.Fields {
			if f.Key, err = guardExpr(f.Key); err != nil {
				return nil, err
			}
			if f.Value, err = guardExpr(f.Value); err != nil {
				return nil, err
			}
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
