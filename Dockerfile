# tokend's container image, for those who have the Go image: a static
# binary in scratch with a CA bundle, running as a non-root user.
#   docker build -t tokend .
#   docker run -p 8443:8443 -v tokend-data:/data tokend
# Without a container runtime or network access to a registry, the same
# image comes from `go run ./cmd/tokend-image` (docs/container.md);
# internal/ociimage's test keeps the two in step.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o /out/tokend ./cmd/tokend
RUN mkdir -p /out/etc /out/data /out/tmp && chmod 0700 /out/data && chmod 1777 /out/tmp \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\ntokend:x:65532:65532:tokend:/data:/sbin/nologin\n' > /out/etc/passwd \
 && printf 'root:x:0:\ntokend:x:65532:\n' > /out/etc/group

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build /out/tmp /tmp
COPY --from=build /out/tokend /tokend
USER 65532:65532
ENV TOKEND_DATA=/data
ENV TOKEND_ADDR=0.0.0.0:8443
ENV TOKEND_TLS_HOSTS=localhost,127.0.0.1,::1,tokend
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 8443/tcp
VOLUME /data
WORKDIR /data
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/tokend", "healthcheck"]
ENTRYPOINT ["/tokend"]
CMD ["serve"]
