extension CalibrationFitter {
    /// The version of the calibration code (the fitter and the run evidence it is fed), stamped on every stored
    /// calibration: a catalog fitted by another version is refitted on its next use.
    ///
    /// Bump it with any change that can move a fitted factor (the loss, the scopes, the priors, the bounds, how runs
    /// are predicted or turned into observations).
    ///
    /// 2 (issue 10): exact model states are no longer scaled, scopes pass a held-out gate, the trainer is a scope.
    /// 3: a run whose reading is more than 100× off its prediction (a unit left off) is left out.
    /// 4: scopes of 16,384 observations or more are solved from a sample's fit with Newton steps (the same optimum
    ///    where the reweighted walk converged; elsewhere a different stopping point).
    /// 5: an outcome under a memory cap is judged at the reserved level against the cap (it had been the cap plus
    ///    the bare CUDA context at the device-used level, 265 MB less room than the capped runs had), and a fact
    ///    that another run of the same source already states (a search's bracket and its probes) counts once.
    public static let codeVersion = 5
}
