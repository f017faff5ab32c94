"""Small area estimation: Fay-Herriot EBLUP, arcsine transform, variance smoothing, benchmarking, bootstrap MSE,
area-specific (conditional) MSE."""

from estimation.sae.benchmark import ratio_benchmark
from estimation.sae.bootstrap import BootstrapMSE, bootstrap_mse
from estimation.sae.fay_herriot import FayHerriotResult, fay_herriot
from estimation.sae.gvf import GVFResult, smooth_sampling_variance
from estimation.sae.publishability import flag_rse, relative_standard_error
from estimation.sae.robust_mse import ConditionalMSE, conditional_mse
from estimation.sae.transforms import ArcsineFHResult, fay_herriot_arcsine

__all__ = [
    "ArcsineFHResult", "BootstrapMSE", "ConditionalMSE", "FayHerriotResult", "GVFResult", "bootstrap_mse",
    "conditional_mse", "fay_herriot", "fay_herriot_arcsine", "flag_rse",
    "ratio_benchmark", "relative_standard_error", "smooth_sampling_variance",
]
