"""Device facts and memory counters for measure_torch.py (no hostnames, no serial numbers)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass

import torch

GIB = 1 << 30


def parse_bytes(text: str) -> int:
    """Parses '12GiB', '12G' (GiB), '12GB' (10^9), '800MiB', '1234' (bytes) into bytes."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(i?B?)\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"cannot read {text!r} as a size; write e.g. 12GiB, 12GB or 800MiB")
    number, prefix, suffix = float(match.group(1)), match.group(2).upper(), match.group(3)
    power = "KMGT".find(prefix) + 1 if prefix else 0
    decimal = suffix.upper() == "B" and prefix != ""  # "GB" is 10^9; "G", "GiB" are 2^30
    base = 1000 if decimal else 1024
    return int(round(number * base ** power))


def format_gib(num_bytes: int) -> str:
    value = num_bytes / GIB
    return f"{value:g}GiB" if abs(value - round(value, 2)) < 1e-9 else f"{num_bytes}B"


@dataclass
class DeviceFacts:
    """What the rows say about the machine; CUDA fields are None on CPU."""

    device: str
    gpu: str | None
    gpu_memory_bytes: int | None
    framework: str
    framework_version: str
    cuda_version: str | None
    driver_version: str | None
    cudnn_version: str | None
    context_bytes: int | None
    context_method: str | None
    device_baseline_used_bytes: int | None
    python_version: str


def _nvml_process_used(pid: int) -> tuple[int | None, str | None]:
    """This process's device memory per NVML (pynvml), then nvidia-smi; (None, None) if neither sees it."""
    try:
        import pynvml
        pynvml.nvmlInit()
        try:
            index = torch.cuda.current_device()
            uuid = None
            try:
                uuid = str(torch.cuda.get_device_properties(index).uuid)
            except Exception:
                pass
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            for handle in handles:
                if uuid:
                    handle_uuid = pynvml.nvmlDeviceGetUUID(handle)
                    handle_uuid = handle_uuid.decode() if isinstance(handle_uuid, bytes) else handle_uuid
                    if uuid not in handle_uuid:
                        continue
                for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    if proc.pid == pid and proc.usedGpuMemory:
                        return int(proc.usedGpuMemory), "nvml-process"
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        pass
    try:
        out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20).stdout
        for line in out.splitlines():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 2 and parts[0] == str(pid) and parts[1].isdigit():
                return int(parts[1]) << 20, "nvidia-smi-process"
    except Exception:
        pass
    return None, None


def _driver_version() -> str | None:
    try:
        import pynvml
        pynvml.nvmlInit()
        try:
            version = pynvml.nvmlSystemGetDriverVersion()
            return version.decode() if isinstance(version, bytes) else str(version)
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        pass
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip().splitlines()
        return out[0].strip() if out else None
    except Exception:
        return None


def _cudnn_version() -> str | None:
    try:
        version = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    except Exception:  # noqa: BLE001 - a version string is not worth failing a run
        return None
    if not version:
        return None
    if version >= 90000:  # cuDNN 9 encodes major*10000 + minor*100 + patch
        return f"{version // 10000}.{version % 10000 // 100}.{version % 100}"
    return f"{version // 1000}.{version % 1000 // 100}.{version % 100}"


def probe_device(device: str) -> DeviceFacts:
    """Initialises CUDA (if asked) before any allocation and records the context size."""
    major_minor = ".".join(torch.__version__.split("+")[0].split(".")[:2])
    facts = DeviceFacts(device=device, gpu=None, gpu_memory_bytes=None, framework=f"pytorch-{major_minor}",
                        framework_version=torch.__version__, cuda_version=None, driver_version=None,
                        cudnn_version=None, context_bytes=None, context_method=None,
                        device_baseline_used_bytes=None, python_version=platform.python_version())
    if device != "cuda":
        return facts
    if not torch.cuda.is_available():
        raise RuntimeError("--device cuda but torch.cuda.is_available() is False (use --device cpu to test)")
    torch.cuda.init()
    free, total = torch.cuda.mem_get_info()  # creates the primary context, allocates nothing
    facts.gpu = torch.cuda.get_device_name()
    facts.gpu_memory_bytes = int(total)
    facts.cuda_version = torch.version.cuda
    facts.cudnn_version = _cudnn_version()
    facts.driver_version = _driver_version()
    facts.device_baseline_used_bytes = int(total - free)
    used, method = _nvml_process_used(os.getpid())
    if used is not None:
        facts.context_bytes, facts.context_method = used, method
    else:  # whole-device used at init: our context plus whatever else runs on the card
        facts.context_bytes, facts.context_method = int(total - free), "device-used-at-init"
    return facts


def device_used_bytes() -> tuple[int, int]:
    """(total - free, memory_reserved) read at the same moment, as nvidia-smi's 'used' would show."""
    torch.cuda.synchronize()
    free, total = torch.cuda.mem_get_info()
    return int(total - free), int(torch.cuda.memory_reserved())
