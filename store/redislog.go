package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// goRedisLog sends go-redis's own messages (a failed dial, a pool
// problem) to the program's log, as JSON warnings like every other line,
// instead of plain text on stderr. They name server addresses, never data.
type goRedisLog struct{}

func (goRedisLog) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().WarnContext(ctx, "redis client", "component", "go-redis", "detail", fmt.Sprintf(format, v...))
}

// routeGoRedisLog installs goRedisLog once; go-redis keeps one logger for
// the whole process.
var routeGoRedisLog = sync.OnceFunc(func() { redis.SetLogger(goRedisLog{}) })
