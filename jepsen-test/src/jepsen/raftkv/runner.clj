(ns jepsen.raftkv.runner
  "`lein run test`: runs the test with progress lines in place of Jepsen's console log, then prints
  the verdict box (jepsen.raftkv.verdict) and exits 0 when the verdict is the expected one."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [jepsen [core :as jepsen]
                    [store :as store]]
            [jepsen.raftkv [membership :as membership]
                           [nemesis :as nemesis]
                           [progress :as progress]
                           [verdict :as verdict]])
  (:import (java.net URLEncoder)))

(defn store-prefix
  "How the store's path is shown: relative to where the reader stands. cluster.sh runs lein in the
  control container's jepsen-test/ and the reader in the repository: it sets RAFTKV_STORE_PREFIX
  to jepsen-test/."
  []
  (or (System/getenv "RAFTKV_STORE_PREFIX") ""))

(defn report-url
  "The run's page in `lein run serve` (cluster.sh: `make report`, RAFTKV_REPORT_BASE)."
  [^java.io.File dir]
  (let [base (or (System/getenv "RAFTKV_REPORT_BASE") "http://localhost:8080")
        enc  #(str/replace (URLEncoder/encode (str %) "UTF-8") "+" "%20")]
    (str base "/files/" (enc (.getName (.getParentFile dir))) "/" (enc (.getName dir)) "/")))

(defn- crashed-dir
  "The store directory of the run that just crashed (Jepsen's `current` symlink), if any."
  []
  (let [f (io/file store/base-dir "current")]
    (when (.exists f) (.getCanonicalFile f))))

(defn- relative
  [^java.io.File dir]
  (let [base (.getCanonicalFile (io/file store/base-dir))]
    (str (store-prefix) "store" (subs (.getPath (.getCanonicalFile dir)) (count (.getPath base))))))

(defn run-one!
  "Runs one test built by (test-fn options) and prints its verdict box. Returns the exit status."
  [test-fn options]
  (progress/reset-state! (:nodes options) (:time-limit options) (:nemesis options))
  (progress/start-reporter! 5000)
  (let [t0           (System/nanoTime)
        [test error] (try
                       [(with-redefs [store/start-logging! progress/start-logging!]
                          (jepsen/run! (test-fn options)))
                        nil]
                       (catch Throwable t [nil t]))
        _            (progress/stop-reporter!)
        dir          (if test (store/path test) (crashed-dir))
        {:keys [lines exit]}
        (verdict/box {:workload     (:workload options)
                      :nemesis      (:nemesis options)
                      :nemesis-name (str (nemesis/nemesis-name (:nemesis options))
                                         (when (and (contains? (:nemesis options) :partition)
                                                    (not= (set (:partitions options)) (set nemesis/partition-targets)))
                                           (str " (" (str/join "," (map name (:partitions options))) ")")))
                      :bug          (:bug options)
                      :results      (:results test)
                      :elapsed-s    (/ (- (System/nanoTime) t0) 1e9)
                      :membership   (when (and test (contains? (:nemesis options) :member))
                                      (membership/change-summary (:history test)))
                      :store        (when dir (relative dir))
                      :report-url   (when dir (report-url dir))})]
    (when error
      (println)
      (println "The run crashed:" (.getName (class error)) (.getMessage error))
      (when dir (println "Its log:" (str (relative dir) "/jepsen.log"))))
    (println)
    (doseq [l lines] (println l))
    (flush)
    exit))

(defn run-cmd!
  "The :run of the test command: --test-count runs, the exit status of the worst."
  [test-fn {:keys [options]}]
  (let [exits (doall (for [_ (range (:test-count options 1))]
                       (run-one! test-fn options)))]
    (System/exit (reduce max 0 exits))))
