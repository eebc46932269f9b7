"""Tests for tools/measure_torch.py and tools/campaign.py (CPU only; run: python -m unittest discover tools/tests)."""

import contextlib
import dataclasses
import io
import json
import os
import sys
import tempfile
import unittest
from unittest import mock

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)

import torch  # noqa: E402

import campaign  # noqa: E402
import measure_env  # noqa: E402
import measure_models  # noqa: E402
import measure_torch  # noqa: E402
from measure_runner import Config, Measurer  # noqa: E402

TINY = "module:" + os.path.join(TOOLS, "tests", "tiny_model.py") + ":make"
#: Field names shared with /work/shared/reference/published-measurements.jsonl.
PUBLISHED_FIELDS = {"id", "source", "url", "kind", "model", "framework", "gpu", "gpu_memory_gib", "batch_size",
                    "grad_accum_steps", "seq_len", "image_size", "precision", "optimizer", "grad_checkpointing",
                    "training_mode", "lora_rank", "bracket_next", "notes"}


def run_cli(*argv, env=None):
    """Runs measure_torch.main in this process; returns (exit code, rows, stderr)."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "rows.jsonl")
        err = io.StringIO()
        with mock.patch.dict(os.environ, env or {}), contextlib.redirect_stderr(err):
            code = measure_torch.main(list(argv) + ["--device", "cpu", "-o", out])
        rows = [json.loads(line) for line in open(out)] if os.path.exists(out) else []
    return code, rows, err.getvalue()


class FakeMeasurer(Measurer):
    """A Measurer whose probes fit exactly when batch <= limit, recording what it tried."""

    def __init__(self, limit):
        self.rows = []
        super().__init__("cpu", self.rows.append)
        self.limit = limit
        self.tried = []

    def measure(self, cfg, batch_size, *, search_id=None, probe=False):
        self.tried.append(batch_size)
        oom = batch_size > self.limit
        row = self.row(cfg, batch_size, {"step_time_ms": 1.0, "peak_reserved_bytes": 100 * batch_size},
                       oom=oom, notes=[], search_id=search_id, probe=probe,
                       extra={"params": 1234, "task": "causal-lm", "model_library_version": "fake-1"})
        self.sink(row)
        return row


class ByteParsing(unittest.TestCase):
    def test_binary_and_decimal_units_are_told_apart(self):
        self.assertEqual(measure_env.parse_bytes("12GiB"), 12 << 30)
        self.assertEqual(measure_env.parse_bytes("12G"), 12 << 30)
        self.assertEqual(measure_env.parse_bytes("12GB"), 12_000_000_000)
        self.assertEqual(measure_env.parse_bytes("800MiB"), 800 << 20)
        self.assertEqual(measure_env.parse_bytes("1234"), 1234)
        self.assertEqual(measure_env.parse_bytes("1.5GiB"), 3 << 29)

    def test_nonsense_size_is_rejected(self):
        with self.assertRaises(ValueError):
            measure_env.parse_bytes("twelve")


class ModelNamesAndTasks(unittest.TestCase):
    def test_default_names_come_from_the_spec(self):
        self.assertEqual(measure_models.default_model_name("torchvision:resnet50"), "resnet50")
        self.assertEqual(measure_models.default_model_name("hf:tools/configs/llama-3.2-1b/config.json"), "llama-3.2-1b")
        self.assertEqual(measure_models.default_model_name("module:pkg.mod:make_net"), "make_net")

    def test_hf_default_tasks_follow_the_architecture(self):
        from transformers import AutoConfig, T5Config
        expected = {"bert-base-uncased": "classification", "gpt2": "causal-lm", "llama-3.2-1b": "causal-lm"}
        for name, task in expected.items():
            config = AutoConfig.from_pretrained(os.path.join(TOOLS, "configs", name, "config.json"))
            self.assertEqual(measure_models.hf_default_task(config), task, name)
        self.assertEqual(measure_models.hf_default_task(T5Config()), "seq2seq")

    def test_shipped_llama_config_has_the_published_shape(self):
        config = json.load(open(os.path.join(TOOLS, "configs", "llama-3.2-1b", "config.json")))
        self.assertEqual((config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
                          config["num_key_value_heads"], config["intermediate_size"], config["vocab_size"]),
                         (2048, 16, 32, 8, 8192, 128256))
        self.assertTrue(config["tie_word_embeddings"])
        self.assertEqual(config["rope_theta"], 500000.0)


class Search(unittest.TestCase):
    def cfg(self, **kw):
        return Config(model=TINY, model_name="tiny", **kw)

    def test_search_brackets_the_largest_fitting_batch(self):
        measurer = FakeMeasurer(limit=37)
        row = measurer.find_max(self.cfg(), start=1, growth=2, max_batch=4096, probe_mode="in-process")
        self.assertEqual((row["kind"], row["batch_size"], row["bracket_next"]), ("max_batch", 37, 38))
        self.assertEqual(measurer.tried[:7], [1, 2, 4, 8, 16, 32, 64])
        self.assertEqual(sum(r["kind"] == "max_batch" for r in measurer.rows), 1)
        self.assertTrue(all(r["search_id"] == row["search_id"] for r in measurer.rows))

    def test_search_that_fails_at_its_start_halves_down(self):
        measurer = FakeMeasurer(limit=3)
        row = measurer.find_max(self.cfg(), start=50, growth=1.2, max_batch=4096, probe_mode="in-process")
        self.assertEqual((row["batch_size"], row["bracket_next"]), (3, 4))

    def test_nothing_fitting_gives_batch_zero_with_bracket_one(self):
        measurer = FakeMeasurer(limit=0)
        row = measurer.find_max(self.cfg(), start=4, growth=2, max_batch=4096, probe_mode="in-process")
        self.assertEqual((row["batch_size"], row["bracket_next"], row["outcome"]), (0, 1, "oom"))
        # What the model is comes from the failing probe: a bracket without its task is predicted differently.
        self.assertEqual((row["params"], row["task"], row["model_library_version"]), (1234, "causal-lm", "fake-1"))
        self.assertIsNone(row["peak_reserved_bytes"], "no reading of the failing probe is the bracket's")

    def test_a_slow_step_stops_the_search_but_keeps_what_fitted(self):
        measurer = FakeMeasurer(limit=100)
        row = measurer.find_max(self.cfg(max_step_s=0.0001), start=3, growth=2, max_batch=4096,
                                probe_mode="in-process")
        self.assertEqual((row["batch_size"], row["bracket_next"], measurer.tried), (3, None, [3]))
        self.assertIn("time guard", row["notes"])

    def test_reaching_max_batch_leaves_the_bracket_open(self):
        measurer = FakeMeasurer(limit=10_000)
        row = measurer.find_max(self.cfg(), start=1, growth=2, max_batch=20, probe_mode="in-process")
        self.assertEqual((row["batch_size"], row["bracket_next"]), (20, None))
        self.assertIn("CAP REACHED", row["notes"])

    def test_start_is_predicted_from_earlier_rows_of_the_same_config(self):
        measurer = FakeMeasurer(limit=0)
        cfg = self.cfg(cap_bytes=10_000)
        key_cfg = self.cfg()
        from measure_runner import _history_key
        measurer.history[_history_key(key_cfg)] = [(10, 1_000 + 10 * 100), (20, 1_000 + 20 * 100)]
        start, growth = measurer.auto_start(cfg)
        self.assertEqual((start, growth), (81, 1.2))  # 0.9 x (10 + 9000/100) = 90


class Rows(unittest.TestCase):
    def test_capped_rows_name_the_cap_in_gpu_and_memory_cap_bytes(self):
        measurer = Measurer("cpu", lambda row: None)
        measurer.facts.gpu, measurer.facts.gpu_memory_bytes = "NVIDIA H100 80GB HBM3", 85_520_809_984
        row = measurer.row(Config(model="torchvision:resnet50", model_name="resnet50", cap_bytes=12 << 30), 64, {},
                           oom=False, notes=[])
        self.assertEqual(row["gpu"], "NVIDIA H100 80GB HBM3 (capped 12GiB)")
        self.assertEqual(row["memory_cap_bytes"], 12 << 30)
        self.assertEqual(row["gpu_memory_gib"], 12.0)
        self.assertEqual((row["image_size"], row["seq_len"], row["task"]), (224, None, "image-classification"))
        self.assertTrue(PUBLISHED_FIELDS <= set(row))

    def test_ids_are_unique_per_row(self):
        measurer = Measurer("cpu", lambda row: None)
        cfg = Config(model=TINY, model_name="tiny")
        ids = {measurer.row(cfg, 1, {}, oom=False, notes=[])["id"] for _ in range(50)}
        self.assertEqual(len(ids), 50)


class EndToEndOnCPU(unittest.TestCase):
    def test_batches_run_until_the_first_oom_which_becomes_an_oom_row(self):
        code, rows, _ = run_cli("--model", TINY, "--batches", "1,2,4", "--image", "8", "--optimizer", "sgd-momentum",
                                env={"MEASURE_FAKE_OOM_ABOVE": "1"})
        self.assertEqual(code, 0)
        self.assertEqual([(r["batch_size"], r["kind"], r["outcome"]) for r in rows],
                         [(1, "mem_at_batch", "ok"), (2, "oom", "oom")])
        self.assertEqual(rows[0]["model"], "make")
        self.assertGreater(rows[0]["step_time_ms"], 0)
        self.assertEqual(rows[0]["measured_steps"], 3)
        self.assertIsNone(rows[0]["peak_allocated_bytes"])  # CPU: no CUDA counters

    def test_find_max_writes_probe_rows_and_one_max_batch_row(self):
        code, rows, _ = run_cli("--model", TINY, "--model-name", "tiny", "--find-max", "--image", "8",
                                "--max-batch", "64", env={"MEASURE_FAKE_OOM_ABOVE": "6"})
        self.assertEqual(code, 0)
        best = [r for r in rows if r["kind"] == "max_batch"]
        self.assertEqual(len(best), 1)
        self.assertEqual((best[0]["batch_size"], best[0]["bracket_next"], best[0]["model"]), (6, 7, "tiny"))
        self.assertTrue(all(r["probe"] for r in rows if r["kind"] != "max_batch"))

    def test_subprocess_probes_give_the_same_answer(self):
        code, rows, _ = run_cli("--model", TINY, "--find-max", "--image", "8", "--start-batch", "2", "--growth", "2",
                                "--probe", "subprocess", env={"MEASURE_FAKE_OOM_ABOVE": "3"})
        self.assertEqual(code, 0)
        best = [r for r in rows if r["kind"] == "max_batch"][0]
        self.assertEqual((best["batch_size"], best["bracket_next"]), (3, 4))

    def test_a_failing_job_is_reported_and_the_next_job_still_runs(self):
        with tempfile.TemporaryDirectory() as folder:
            jobs = os.path.join(folder, "jobs.jsonl")
            with open(jobs, "w") as handle:
                handle.write(json.dumps({"model": TINY, "optimizer": "lion", "batch": 1}) + "\n")
                handle.write(json.dumps({"model": TINY, "optimizer": "adagrad", "batch": 1, "image": 8}) + "\n")
            code, rows, err = run_cli("--jobs", jobs)
        self.assertEqual(code, 2)
        self.assertIn("lion", err)
        self.assertEqual([r["optimizer"] for r in rows], ["adagrad"])

    def test_every_precision_and_optimizer_trains_on_cpu(self):
        optimizers = ["sgd", "adam", "adamw", "rmsprop", "rmsprop-momentum", "adafactor", "adafactor-momentum"]
        for precision in measure_torch.PRECISIONS:
            code, rows, err = run_cli("--model", TINY, "--batch", "2", "--image", "8", "--precision", precision,
                                      "--steps", "1")
            self.assertEqual((code, rows[0]["outcome"]), (0, "ok"), err)
        for optimizer in optimizers:
            code, rows, err = run_cli("--model", TINY, "--batch", "2", "--image", "8", "--optimizer", optimizer,
                                      "--steps", "1")
            self.assertEqual((code, rows[0]["optimizer"]), (0, optimizer), err)


class CudaBookkeeping(unittest.TestCase):
    """The CUDA-only lines (counters, cap, context) run against a stand-in torch.cuda, computing on the CPU."""

    def test_counters_cap_and_context_reach_the_row(self):
        fractions = []
        fake = {
            "init": lambda: None, "synchronize": lambda *a: None,
            "empty_cache": lambda: None, "reset_peak_memory_stats": lambda *a: None,
            "mem_get_info": lambda *a: (60 << 30, 80 << 30), "get_device_name": lambda *a: "Fake GPU 80GB",
            "memory_allocated": lambda *a: 1 << 20, "max_memory_allocated": lambda *a: 3 << 30,
            "max_memory_reserved": lambda *a: 4 << 30, "memory_reserved": lambda *a: 19 << 30,
            "current_device": lambda: 0, "set_per_process_memory_fraction": lambda f, *a: fractions.append(f),
        }
        rows = []
        with contextlib.ExitStack() as stack:
            for name, value in fake.items():
                stack.enter_context(mock.patch.object(torch.cuda, name, value))
            stack.enter_context(mock.patch("subprocess.run", side_effect=FileNotFoundError))
            with mock.patch.object(torch.cuda, "is_available", lambda: True):  # optimizers would ask it too
                measurer = Measurer("cuda", rows.append)
            measurer.torch_device = torch.device("cpu")  # compute stays on the CPU
            cfg = Config(model=TINY, model_name="tiny", image=8, steps=2, cap_bytes=16 << 30)
            measurer.measure(cfg, 2)
            measurer.measure(dataclasses.replace(cfg, cap_bytes=None), 2)
            measurer.fake_oom_above = 1
            measurer.measure(cfg, 2)
        row = rows[0]
        self.assertEqual(fractions, [0.2, 1.0, 0.2])
        self.assertEqual(row["gpu"], "Fake GPU 80GB (capped 16GiB)")
        self.assertEqual((row["gpu_memory_bytes"], row["memory_cap_bytes"]), (80 << 30, 16 << 30))
        self.assertEqual((row["peak_allocated_bytes"], row["peak_reserved_bytes"]), (3 << 30, 4 << 30))
        self.assertEqual((row["device_used_bytes"], row["overhead_bytes"]), (20 << 30, 1 << 30))
        self.assertEqual((row["context_bytes"], row["context_method"]), (20 << 30, "device-used-at-init"))
        self.assertEqual(row["allocated_after_build_bytes"], 1 << 20)
        self.assertEqual(rows[1]["gpu"], "Fake GPU 80GB")
        self.assertEqual((rows[2]["kind"], rows[2]["peak_reserved_bytes"], rows[2]["device_used_bytes"]),
                         ("oom", 4 << 30, None))
        self.assertEqual(measurer.history[next(iter(measurer.history))], [(2, 4 << 30), (2, 4 << 30)])


class Builders(unittest.TestCase):
    def test_torchvision_block_checkpointing_wraps_blocks_and_still_trains(self):
        for name, image, blocks in (("resnet18", 32, 8), ("vgg11", 32, 5), ("vit_b_16", 32, 12)):
            built = measure_models.build_model(f"torchvision:{name}", task=None, dtype=torch.float32,
                                               device=torch.device("cpu"), attention="sdpa", image=image, seq=0,
                                               num_classes=10)
            built.set_checkpointing(True)
            wrapped = [m for m in built.model.modules() if isinstance(m, measure_models.CheckpointedBlock)]
            self.assertEqual(len(wrapped), blocks, name)
            built.loss(built.model, built.make_batch(2)).backward()

    def test_hf_tiny_models_build_for_each_task_with_checkpointing(self):
        from transformers import T5Config
        with tempfile.TemporaryDirectory() as folder:
            t5 = os.path.join(folder, "t5-tiny", "config.json")
            os.makedirs(os.path.dirname(t5))
            T5Config(d_model=32, d_ff=64, num_layers=1, num_heads=2, d_kv=16, vocab_size=100,
                     decoder_start_token_id=0, pad_token_id=0).to_json_file(t5)
            cases = [(os.path.join(TOOLS, "configs", "bert-base-uncased", "config.json"), None, "classification",
                      {"num_hidden_layers": 1, "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}),
                     (os.path.join(TOOLS, "configs", "bert-base-uncased", "config.json"), "masked-lm", "masked-lm",
                      {"num_hidden_layers": 1, "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}),
                     (t5, None, "seq2seq", {})]
            for path, task, expected, overrides in cases:
                built = measure_models.build_model(f"hf:{path}", task=task, dtype=torch.float32,
                                                   device=torch.device("cpu"), attention="eager", image=0, seq=8,
                                                   num_classes=0, hf_overrides=overrides)
                self.assertEqual(built.task, expected)
                built.set_checkpointing(True)
                built.loss(built.model, built.make_batch(2)).backward()


class CampaignGrid(unittest.TestCase):
    def setUp(self):
        self.grid = json.load(open(os.path.join(TOOLS, "campaign_grid.json")))

    def test_grid_covers_the_issue_7_matrix(self):
        names = [m["name"] for m in self.grid["models"]]
        self.assertEqual(names, ["resnet50", "vgg16", "vit_b_16", "bert-base-uncased", "gpt2", "llama-3.2-1b"])
        searched = [m for m in self.grid["models"] if m.get("find_max")]
        self.assertGreaterEqual(len(searched), 4)
        for entry in self.grid["models"]:
            self.assertGreaterEqual(len(entry["batches"]), 3)
            self.assertEqual(set(entry["precisions"]), {"fp32", "bf16-amp", "bf16"})
            self.assertEqual(set(entry["optimizers"]), {"adamw", "sgd-momentum"})
            if entry["model"].startswith("hf:"):
                self.assertEqual(set(entry["checkpointing"]), {"none", "block"})
                self.assertTrue(os.path.exists(os.path.join(REPO, entry["model"][3:])))
        for entry in searched:
            self.assertEqual(entry["find_max"]["caps"], ["8GiB", "12GiB", "16GiB", "24GiB"])

    def test_search_follows_the_jobs_sharing_its_build_and_builds_stay_together(self):
        llama = self.grid["models"][-1]  # find_max: bf16 / adamw / block
        jobs = campaign.expand_jobs(llama, self.grid["defaults"], None)
        self.assertEqual(len(jobs), 3 * 2 * 2 + 1)
        self.assertEqual((jobs[0]["precision"], jobs[0]["optimizer"], jobs[0]["checkpointing"]),
                         ("bf16", "adamw", "block"))
        self.assertEqual([j["precision"] for j in jobs[:4]], ["bf16"] * 4)
        self.assertTrue(jobs[4]["find_max"])
        self.assertEqual([campaign.weight_group(j["precision"]) for j in jobs[5:]], ["fp32"] * 8)
        resnet = campaign.expand_jobs(self.grid["models"][0], self.grid["defaults"], None)
        self.assertEqual([j.get("find_max", False) for j in resnet].index(True), 4)
        self.assertEqual((resnet[0]["precision"], resnet[0]["optimizer"]), ("bf16-amp", "sgd-momentum"))
        tiny = campaign.expand_jobs(llama, self.grid["defaults"], self.grid["tiny"])
        self.assertEqual(tiny[0]["batches"], [2, 3])
        self.assertEqual(tiny[0]["hf_overrides"]["num_hidden_layers"], 2)
        for job in jobs:
            measure_torch.config_from_job(job, {})  # every job is well-formed


if __name__ == "__main__":
    unittest.main()
