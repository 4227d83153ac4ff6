// Package errs is the one error type of Inoculate: an error carries a Kind that decides
// the HTTP status and whether its message may be shown to the user, and wraps its cause
// for the logs.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller; it maps to an HTTP status exactly once (web).
type Kind int

const (
	Internal     Kind = iota // a fault of ours; the user sees a generic message
	Invalid                  // bad input; the message says what to fix
	NotFound                 // absent, or not visible to this caller (never "forbidden" across tenants)
	Forbidden                // authenticated but not allowed
	Conflict                 // clashes with current state (duplicate, wrong status)
	Unauthorized             // not authenticated, or authentication failed
	TooMany                  // throttled
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not found"
	case Forbidden:
		return "forbidden"
	case Conflict:
		return "conflict"
	case Unauthorized:
		return "unauthorized"
	case TooMany:
		return "too many requests"
	default:
		return "internal"
	}
}

// Error is an error with a Kind. Msg is safe to show to the user: it never holds
// identifying data. MsgKey, when set, is the i18n catalogue key of that message so the
// web layer can show it in the user's language; Args fill its placeholders.
type Error struct {
	Kind   Kind
	Msg    string
	MsgKey string
	Args   []any
	Field  string // the input field at fault, for forms and JSON errors
	Err    error  // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		if e.Msg != "" {
			return e.Msg + ": " + e.Err.Error()
		}
		return e.Err.Error()
	}
	if e.Msg != "" {
		return e.Msg
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind k with a user-safe message.
func E(k Kind, msg string) *Error { return &Error{Kind: k, Msg: msg} }

// Ef is E with formatting; arguments must be safe to show (never identity data).
func Ef(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an Internal error whose cause is err, with context for the logs.
// A nil err gives nil.
func Wrap(err error, context string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		// Keep the kind the lower layer chose; add context for the logs.
		return &Error{Kind: e.Kind, Msg: e.Msg, MsgKey: e.MsgKey, Args: e.Args, Field: e.Field, Err: fmt.Errorf("%s: %w", context, err)}
	}
	return &Error{Kind: Internal, Err: fmt.Errorf("%s: %w", context, err)}
}

// Invalidf is an Invalid error about one input field, with a catalogue key for the message.
func InvalidField(field, key, msg string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, MsgKey: key, Msg: msg, Args: args}
}

// KindOf returns the Kind of err: Internal unless err wraps an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
