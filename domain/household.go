package domain

import "time"

// Household is one 帮困对象 of a committee. It is stored as one JSON value;
// personal numbers are kept sealed (encrypted) with their masked form beside.
type Household struct {
	Committee string `json:"c"`
	Code      string `json:"code"` // short code, unique in the committee ("12")
	Head      string `json:"head"` // 户主
	Size      int    `json:"size"` // 家庭人数

	Categories []CategoryClaim `json:"cats,omitempty"`

	IDHash      string `json:"idh,omitempty"` // keyed hash of the ID number, for duplicate search
	IDSealed    string `json:"ids,omitempty"` // encrypted ID number
	IDMasked    string `json:"idm,omitempty"` // 310107********1234
	PhoneSealed string `json:"phs,omitempty"`
	PhoneMasked string `json:"phm,omitempty"` // 138****5678
	// Address is shown and exported as is: an ID or phone number typed
	// in it is masked here, and the address as typed is kept sealed in
	// AddressSealed (empty when it held no such number). Every free-text
	// field is kept this way.
	Address       string `json:"addr,omitempty"`
	AddressSealed string `json:"adds,omitempty"`

	Entitlement Entitlement `json:"ent"`
	Visits      []Visit     `json:"visits,omitempty"`

	Version   int64     `json:"v"` // bumped by every change; the store compares it
	CreatedAt time.Time `json:"ct"`
	CreatedBy string    `json:"cb"`
	UpdatedAt time.Time `json:"ut"`
	UpdatedBy string    `json:"ub"`
}

// CategoryClaim says a household (Persons == 0) or some of its members
// (Persons > 0) fall under a policy category. Amount is the stated amount
// for range or discretionary items, 0 otherwise.
type CategoryClaim struct {
	Category string `json:"cat"` // canonical category key of the policy
	Persons  int    `json:"n,omitempty"`
	Amount   int64  `json:"amt,omitempty"`
}

// Entitlement is what a household is due under one policy version. It is
// stored with the household so a later policy change never rewrites it.
type Entitlement struct {
	Policy        string            `json:"p"`
	PolicyVersion string            `json:"pv"`
	Items         []EntitlementItem `json:"items,omitempty"`
	Total         int64             `json:"total"` // yuan; items that need an amount count only once stated
}

// EntitlementItem is one line of an entitlement: an item of the policy,
// how many persons it covers, its amount and its fund.
type EntitlementItem struct {
	Item        string `json:"item"` // policy item id, e.g. "2"
	Name        string `json:"name"`
	Category    string `json:"cat"`
	Persons     int    `json:"n,omitempty"`
	Amount      int64  `json:"amt"`
	Fund        string `json:"fund"`
	Dept        string `json:"dept"`
	NeedsAmount bool   `json:"need,omitempty"` // range/discretionary item whose amount is not stated yet
	Min, Max    int64  `json:"-"`
}

// Visitor is who made a visit.
type Visitor string

// Visitor kinds: the committee's own staff, or one leader visit at most.
const (
	VisitorCommittee Visitor = "居委"
	VisitorDistrict  Visitor = "区领导"
	VisitorStreet    Visitor = "街镇领导"
)

// Visit is one recorded visit or payment.
type Visit struct {
	At          time.Time `json:"at"`              // campaign time of the report
	Date        string    `json:"date"`            // visit date as reported, YYYY-MM-DD
	By          string    `json:"by"`              // userid of the reporter
	ByName      string    `json:"byn"`             // reporter's name
	Visitor     Visitor   `json:"visitor"`         // 居委 / 区领导 / 街镇领导
	Paid        int64     `json:"paid"`            // yuan paid in this visit
	Goods       string    `json:"goods,omitempty"` // masked; as typed in GoodsSealed (see Household.Address)
	GoodsSealed string    `json:"gds,omitempty"`
	TopUp       bool      `json:"topup,omitempty"` // a later payment making up a shortfall
	MsgID       string    `json:"msg,omitempty"`
}
