# raftkv — one command per job. `make help` lists them.
#
# Java: Jepsen needs 21+, and we target 21 everywhere. The default `java` on many machines is 17, so
# pick a JDK >= 21 explicitly: $JAVA_HOME if it is new enough, else the newest under /usr/lib/jvm.
# Targets that only drive Docker (down, base-image, report) do not need a JDK on the host.
JAVA_HOME := $(shell scripts/find-jdk.sh)
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)
export JAVA_CMD := $(JAVA_HOME)/bin/java

MVN ?= mvn
MVN_FLAGS ?= -B -ntp
SEED ?= 1
NODE_JAR := java-node/server/target/raftkv-node.jar
SIM_JAR := java-node/sim/target/raftkv-sim.jar

.PHONY: help java build test test-java test-jepsen demo sim mutation mutation-sim cluster-local stop-local bench bench-compare bench-memory bench-bigstate overload startup-probe paper paper-bench gc-pauses talk \
        base-image cluster jepsen jepsen-all soak docker-smoke down report report-stop explain clean partition heal kill start

help:
	@echo "make build           build the node jar ($(NODE_JAR)) and the simulator"
	@echo "make test            all tests: java-node unit + simulation + multi-process, then jepsen-test's lein test"
	@echo "make demo [SEED=n]   a 5-node cluster simulated in one process, narrated; SEED replays a run"
	@echo "make sim [SEEDS=n] [BUG=name] [FAULTS=mix]   the randomized simulation over many seeds, with a summary"
	@echo "make mutation        PIT mutation testing of core and storage against their unit tests (java-node/{core,storage}/target/pit-reports)"
	@echo "make mutation-sim [SEEDS=n] [CLASSES=raftkv.core.LogReplication]   the same mutants against n simulator seeds (slow)"
	@echo "make cluster-local   3 real nodes on 127.0.0.1:9001-9003, dashboard on http://127.0.0.1:9001/ (make stop-local stops them)"
	@echo "make add-node NODE=n4 / make remove-node NODE=n2   grow or shrink the running cluster, local or Docker (learner, then voter)"
	@echo "make bench           throughput and latency of a local 3-node cluster under load"
	@echo "make bench-compare [DURATION=s] [ROUNDS=n]   raftkv next to a 3-member etcd, same wrk load (docs/benchmarks.md)"
	@echo "make bench-memory [DURATION=s]  RSS of 3 nodes under 32-connection writes (default 300 s)"
	@echo "make overload [DURATION=s] [CONNS=..]   raftkv beside etcd under 1,000-10,000 connections, then hostile clients (docs/benchmarks.md)"
	@echo "make bench-bigstate [KEYS=n] [VALUE_SIZE=b]  3 nodes at -Xmx512m loaded with unique ids, a follower killed and restarted (docs/benchmarks.md)"
	@echo "make startup-probe [ROUNDS=n]   fresh 3-node clusters: 100 writes through the followers as soon as a leader is named"
	@echo "make paper-bench     Java 21 vs Go in a trixie container: JMH + testing.B (docs/paper/bench), table in docs/paper/build/bench.md"
	@echo "make gc-pauses       GC pauses of raftkv (-Xlog:gc*) and etcd (gctrace) under bench-compare load, docs/paper/build/gc-pauses.md"
	@echo "make paper           the German paper, docs/paper/build/raftkv-paper.pdf (pandoc + xelatex; docs/paper/README.md)"
	@echo "make talk            the slides, docs/talk/build/raftkv-talk.pdf"
	@echo "make base-image      build the Debian base image locally (no Docker Hub needed)"
	@echo "make cluster         Docker: control + n1..n5, raftkv running on all five"
	@echo "make jepsen ARGS=..  run the Jepsen test in the Docker control node; ends with a verdict box, exit 0 when the verdict is the expected one"
	@echo "make jepsen-all [ARGS=..]   lein run test-all: workloads x faults, a summary table, exit 1 on a wrong verdict"
	@echo "make soak [TIME=600]  both workloads under the mixed nemesis for TIME seconds each (not in make test)"
	@echo "make report          serve the Jepsen store (lein run serve) on http://127.0.0.1:8088, in the background; make report-stop ends it"
	@echo "make explain [ARGS=\"-t -2\"]   the latest (or another) run's failing keys in words and pictures (explain.txt, explain-key-K.svg)"
	@echo "make docker-smoke    build, start, write/read, partition and heal the Docker cluster, then remove it"
	@echo "make down            remove every container, network and volume 'make cluster' created"
	@echo "make partition NODES=n1,n2|leader   cut those nodes off from the rest (make heal undoes it)"
	@echo "make kill NODE=n3 / make start NODE=n3   kill -9 raftkv on a node / start it again from its data (FORCE=1: even with no other node running)"

java:
	@test -n "$(JAVA_HOME)" || { echo "no JDK >= 21 found: install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME" >&2; exit 1; }

build: java
	cd java-node && $(MVN) $(MVN_FLAGS) -DskipTests package

test: test-java test-jepsen

test-java: java
	cd java-node && $(MVN) $(MVN_FLAGS) verify

test-jepsen:
	@scripts/jepsen-unit-tests.sh

$(SIM_JAR) $(NODE_JAR): | java
	cd java-node && ../scripts/heartbeat.sh "building the jars (mvn -q package, about a minute the first time)" $(MVN) $(MVN_FLAGS) -q -DskipTests package

demo: $(SIM_JAR)
	$(JAVA_HOME)/bin/java -jar $(SIM_JAR) demo --seed $(SEED)

sim: $(SIM_JAR)
	$(JAVA_HOME)/bin/java -jar $(SIM_JAR) run --seeds $(or $(SEEDS),500) $(if $(BUG),--bug $(BUG)) $(if $(FAULTS),--faults $(FAULTS))

# Mutation testing (not part of `make test`): see docs/how-it-works.md, "Mutation testing".
mutation: java
	cd java-node && $(MVN) $(MVN_FLAGS) -Pmutation -pl core,storage test

mutation-sim: java
	cd java-node && $(MVN) $(MVN_FLAGS) -Pmutation-sim -pl sim -am test -Dsim.seeds=$(or $(SEEDS),50) \
	  $(if $(CLASSES),-Dpit.targetClasses=$(CLASSES))

cluster-local: $(NODE_JAR)
	scripts/local-cluster.sh start

stop-local:
	scripts/local-cluster.sh stop

# Membership changes (issue 20): a node joins as a learner and is promoted once caught up; a removed
# node is stopped (in Docker its data directory is emptied too). NODE=n4, n5, ... locally, n1..n5 in
# Docker; remove any member, the leader too. On whichever cluster runs (scripts/which-cluster.sh):
# the local one (make cluster-local) or the Docker one (make cluster); CLUSTER=local or
# CLUSTER=docker chooses when both run.
CLUSTER ?= $(shell scripts/which-cluster.sh)
MEMBER_CHANGE = case "$(CLUSTER)" in \
	  local) scripts/local-cluster.sh $(1) $(NODE) ;; \
	  docker) docker/cluster.sh $(1)-node $(NODE) ;; \
	  both) echo "both the local and the Docker cluster run: say which, CLUSTER=local or CLUSTER=docker"; exit 2 ;; \
	  none) echo "no cluster runs: start one first (make cluster-local, or make cluster for Docker)"; exit 2 ;; \
	  *) echo "CLUSTER must be local or docker, got '$(CLUSTER)'"; exit 2 ;; \
	esac
.PHONY: add-node remove-node
add-node:
	@test -n "$(NODE)" || { echo "usage: make add-node NODE=n4 [CLUSTER=local|docker]"; exit 2; }
	@if [ "$(CLUSTER)" = local ]; then $(MAKE) --no-print-directory $(NODE_JAR); fi
	@$(call MEMBER_CHANGE,add)

remove-node:
	@test -n "$(NODE)" || { echo "usage: make remove-node NODE=n2 [CLUSTER=local|docker]"; exit 2; }
	@$(call MEMBER_CHANGE,remove)

bench: $(NODE_JAR)
	scripts/bench.sh

bench-compare: $(NODE_JAR)
	scripts/bench-compare.sh

bench-memory: $(NODE_JAR)
	scripts/bench-memory.sh

# Overload and hostile clients (issue 17); about 25 minutes with the defaults, on a quiet machine.
overload: $(NODE_JAR)
	scripts/overload.sh

bench-bigstate: $(NODE_JAR)
	scripts/bench-bigstate.sh

startup-probe: $(NODE_JAR)
	scripts/startup-probe.sh

# The paper and the talk (docs/paper/README.md). paper-bench measures in a container (Docker engine and
# the base image of `make base-image`; Maven for JMH's jars); both refuse to publish from a busy machine
# (NOT_PUBLISHABLE=1 to try them anyway). paper and talk need pandoc and xelatex: the scripts install
# missing Debian packages or name them.
paper-bench: java
	docs/paper/bench/run.sh

gc-pauses: $(NODE_JAR)
	scripts/gc-pauses.sh

paper:
	docs/paper/build.sh paper

talk:
	docs/paper/build.sh talk

base-image:
	docker/base-image.sh

# MEMBERS=n1,n2,n3: raftkv starts on those only (the founding members); n4, n5 wait for add-node.
cluster: $(NODE_JAR)
	$(if $(MEMBERS),MEMBERS=$(MEMBERS) )docker/cluster.sh up

jepsen: $(NODE_JAR)
	docker/cluster.sh jepsen $(ARGS)

jepsen-all: $(NODE_JAR)
	JEPSEN_CMD=test-all docker/cluster.sh jepsen $(ARGS)

# A long run (not part of `make test`): register and set workloads, each for TIME seconds under
# every kind of fault one at a time; prints the test-all table. See jepsen-test/README.md.
TIME ?= 600
soak: $(NODE_JAR)
	JEPSEN_CMD=test-all docker/cluster.sh jepsen --nemesis mixed --time-limit $(TIME) $(ARGS)

docker-smoke:
	docker/smoke.sh

report:
	docker/cluster.sh report

report-stop:
	docker/cluster.sh report-stop

explain:
	docker/cluster.sh explain $(ARGS)

partition:
	docker/cluster.sh partition $(or $(NODES),$(error NODES=n1,n2 or NODES=leader))

heal:
	docker/cluster.sh heal

kill:
	docker/cluster.sh kill $(or $(NODE),$(error NODE=n1..n5))

start:
	docker/cluster.sh start $(or $(NODE),$(error NODE=n1..n5))

down:
	docker/cluster.sh down

clean:
	cd java-node && $(MVN) $(MVN_FLAGS) -q clean
