package bot

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// ClaimState is what a claim on an incoming message found: whether this
// delivery handles it, another is handling it, or it was answered. The
// store makes the claim; the callback acts on the state.
type ClaimState int

// Claim states.
const (
	Claimed      ClaimState = iota // the caller handles the message
	ClaimPending                   // another delivery is handling it now
	ClaimDone                      // it was answered; the reply is returned
)

// String names the state for logs.
func (s ClaimState) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case ClaimPending:
		return "pending"
	case ClaimDone:
		return "done"
	}
	return fmt.Sprintf("ClaimState(%d)", int(s))
}

// NewOwner returns a fresh owner token for one delivery's claim.
func NewOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
