# Static, non-root image of tableau-mcp.
#   docker build -t tableau-mcp .
#   docker run --rm -i tableau-mcp                       # demo site over stdio
#   docker run --rm -p 8080:8080 -v $PWD/tokens:/etc/tableau-mcp/tokens:ro \
#     -e TABLEAU_MCP_TRANSPORT=http -e TABLEAU_MCP_LISTEN=0.0.0.0:8080 -e TABLEAU_MCP_AUTH_FILE=/etc/tableau-mcp/tokens tableau-mcp
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tableau-mcp ./cmd/tableau-mcp

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tableau-mcp /usr/local/bin/tableau-mcp
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/tableau-mcp"]
