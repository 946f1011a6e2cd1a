package config

import "songnuan/domain"

// Demo credentials. They are public on purpose: the terminal chat signs
// and encrypts its messages with them, and the fake WeCom API accepts
// them. They protect nothing.
const (
	DemoCorpID  = "wwdemo0000000000"
	DemoToken   = "songnuandemo"
	DemoAESKey  = "U29uZ251YW5EZW1vQWVzS2V5MDEyMzQ1Njc4OWFiY2Q" // 43 characters, decodes to 32 bytes
	DemoAgentID = "1000002"
	DemoSecret  = "songnuan-demo-secret"
	// DemoDataKey seals personal numbers in demo mode. Anyone can unseal
	// them with it; Warnings says so loudly and Validate refuses it once
	// real credentials are set.
	DemoDataKey = "c29uZ251YW4gZGVtbyBrZXksIG5vdCBhIHNlY3JldCE="
)

// FakeWeComPath is where the bot mounts its fake WeCom API in demo mode.
const FakeWeComPath = "/_fake/wecom"

// exampleDataKey is the data key in example.yaml, public like the demo key.
const exampleDataKey = "c29uZ251YW4tZXhhbXBsZS1rZXktMDEyMzQ1Njc4OWE="

// DemoAPIBase returns the fake WeCom API's root for a bot listening on
// addr (":8080", "0.0.0.0:9000"): always loopback, since the bot calls
// itself. An address without a usable port falls back to 8080.
func DemoAPIBase(addr string) string {
	port := listenPort(addr)
	if port == "" || port == "0" {
		port = "8080"
	}
	return "http://127.0.0.1:" + port + FakeWeComPath
}

// DemoStaff returns the staff demo mode adds when none are configured:
// a worker in each of two committees, a leader and an admin, enough to
// try every command.
func DemoStaff() []domain.Staff {
	return []domain.Staff{
		{UserID: "wang", Name: "王芳", Role: domain.RoleWorker, Committee: "甘泉一村"},
		{UserID: "li", Name: "李强", Role: domain.RoleWorker, Committee: "甘泉二村"},
		{UserID: "zhao", Name: "赵敏", Role: domain.RoleLeader},
		{UserID: "admin", Name: "管理员", Role: domain.RoleAdmin},
	}
}

// ApplyDemo fills the demo settings into a config with no WeCom
// credentials: the Demo* credentials, api_base (and oauth_base, unless set
// elsewhere) at the fake WeCom API of a
// bot listening on addr (pass the listener's real address when the port
// was ":0"), the demo data key when none is set, and DemoStaff when no
// staff are configured. It does nothing when real credentials are set, so
// a mistaken call can never send real traffic to the fake.
func (c *Config) ApplyDemo(addr string) {
	if !c.Demo() {
		return
	}
	c.demo = true
	c.WeCom.CorpID = DemoCorpID
	c.WeCom.Token = DemoToken
	c.WeCom.EncodingAESKey = DemoAESKey
	c.WeCom.AgentID = DemoAgentID
	c.WeCom.Secret = DemoSecret
	c.WeCom.APIBase = DemoAPIBase(addr)
	if c.WeCom.OAuthBase == "" || c.WeCom.OAuthBase == Default().WeCom.OAuthBase {
		c.WeCom.OAuthBase = DemoAPIBase(addr) // its sign-in page offers the demo users
	}
	if c.DataKey == "" {
		c.DataKey = DemoDataKey
	}
	if len(c.Staff) == 0 {
		c.Staff = DemoStaff()
	}
}
