# Static, non-root image of tableau-mcp (distroless: no shell, no curl).
#   docker build -t tableau-mcp .
#   docker run --rm -i tableau-mcp                       # demo site over stdio
#   docker run --rm -p 127.0.0.1:8080:8080 -v "$PWD/tokens:/etc/tableau-mcp/tokens:ro" \
#     -e TABLEAU_MCP_TRANSPORT=http -e TABLEAU_MCP_AUTH_FILE=/etc/tableau-mcp/tokens tableau-mcp
# compose.yaml runs the same as a local sidecar.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
    -o /out/tableau-mcp ./cmd/tableau-mcp

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tableau-mcp /usr/local/bin/tableau-mcp
USER nonroot:nonroot
# Over http or sse the server must be reachable from outside the container:
# it listens on all of the container's interfaces unless TABLEAU_MCP_LISTEN
# says otherwise. The stdio transport ignores it.
ENV TABLEAU_MCP_LISTEN=0.0.0.0:8080
EXPOSE 8080
# Asks GET /readyz of the server in this container (http and sse); with the
# stdio transport there is nothing to ask and it passes.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/tableau-mcp", "health"]
ENTRYPOINT ["/usr/local/bin/tableau-mcp"]
