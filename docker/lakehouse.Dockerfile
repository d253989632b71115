# The lakehouse image for docker-compose: Python 3.11, Java 17, the locked environment
# (pyspark's spark-submit, dbt, the `lakehouse` CLI) and the Spark connector jars, resolved
# at build time exactly as scripts/setup.sh resolves them on a laptop.
FROM python:3.11.11-slim-bookworm

RUN apt-get update \
    && apt-get install --yes --no-install-recommends openjdk-17-jre-headless maven \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/lakehouse
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/lakehouse/.venv \
    PATH=/opt/lakehouse/.venv/bin:$PATH

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN pip install --no-cache-dir uv==0.13.8 \
    && uv sync --frozen --no-dev --no-install-project

COPY jvm/spark/pom.xml jvm/spark/pom.xml
RUN mvn --batch-mode --quiet -f jvm/spark/pom.xml dependency:copy-dependencies \
        -Djars.dir=/opt/lakehouse/.lakehouse/jars/spark \
    && rm -rf /root/.m2

COPY . .
RUN uv sync --frozen --no-dev

# conf/ is mounted over the copy at run time, so the stack uses the laptop's settings.
ENTRYPOINT ["lakehouse"]
