package app

import (
	"context"
	"time"
)

// checkDurability warns at start-up when the Redis the bot writes to could
// lose changes it has already confirmed to a worker. A 已记录 must survive
// a crash, and only the server's persistence settings can promise that
// (see store.Durability and SECURITY.md): appendonly yes, appendfsync
// always. The bot still serves, since refusing would stop the campaign over
// a setting the operator may have weighed, but it says what is at risk.
func (a *App) checkDurability(ctx context.Context) {
	if a.Config.RedisURL == "" {
		return // the embedded store keeps nothing anyway; Warnings says so
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ds, err := a.Store.Durability(ctx)
	if err != nil {
		a.Log.Warn("could not read the redis persistence settings; make sure the server runs with appendonly yes and appendfsync always, "+
			"or a crash can lose reports the bot has answered 已记录", "err", err)
		return
	}
	for _, d := range ds {
		if risk := d.Risk(); risk != "" {
			a.Log.Warn("redis may lose confirmed reports: set appendonly yes and appendfsync always", "redis", d.Addr,
				"appendonly", d.AppendOnly, "appendfsync", d.AppendFsync, "risk", risk)
		}
	}
}
