# kocbot container: build with the project's own make targets, run as a
# non-root user with the database on a volume and the token from the
# environment (docker run -e KOCBOT_TELEGRAM_TOKEN=... -v kocbot:/data kocbot).
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `make deps` installs the build packages (the same list CI uses), then the release build
RUN make deps && make VARIANT=release all

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4 libuv1 libcjson1 libsqlite3-0 libmicrohttpd12 libssl3 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data --shell /usr/sbin/nologin kocbot \
 && mkdir -p /data && chown kocbot /data
COPY --from=build /src/build/release/kocbot /usr/local/bin/kocbot
COPY config/kocbot.example.json /etc/kocbot/kocbot.json
USER kocbot
VOLUME /data
ENV KOCBOT_DB=/data/kocbot.db
HEALTHCHECK CMD ["kocbot", "--check-config", "/etc/kocbot/kocbot.json"]
ENTRYPOINT ["kocbot", "--config", "/etc/kocbot/kocbot.json"]
