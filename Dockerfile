# Build: a static binary, so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /songnuan .

# Run: alpine rather than distroless because its busybox wget lets Docker
# check the bot's health; tzdata for Asia/Shanghai deadlines, CA
# certificates for the WeCom API.
FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 songnuan \
 && adduser -S -D -H -u 10001 -G songnuan songnuan
COPY --from=build /songnuan /usr/local/bin/songnuan
ENV TZ=Asia/Shanghai \
    HTTP_ADDR=:8080
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/songnuan"]
