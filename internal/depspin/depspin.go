// Package depspin holds go.mod's requirements steady while packages that use them are
// being written in parallel. Temporary: removed once every import is real.
package depspin

import (
	_ "github.com/chromedp/cdproto/cdp"
	_ "github.com/chromedp/chromedp"
	_ "github.com/google/uuid"
	_ "github.com/pquerna/otp/totp"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/crypto/chacha20poly1305"
	_ "golang.org/x/mod/sumdb/note"
	_ "golang.org/x/text/language"
)
