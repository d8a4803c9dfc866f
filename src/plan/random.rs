//! The random planner: functions drawn uniformly from the catalog, parameters uniformly from
//! their ranges (the paper's ablation baseline). Seeded, so a run is reproducible.

use super::keyword::MAX_STEPS;
use super::{FaultPlan, PlanRequest, Planner, Provenance};
use crate::catalog::{ParamKind, ResolvedStep, CATALOG};
use crate::dsp::Rng;

pub struct RandomPlanner;

impl Planner for RandomPlanner {
    fn name(&self) -> &'static str {
        "random"
    }

    fn plan(&self, request: &PlanRequest) -> anyhow::Result<FaultPlan> {
        let mut rng = Rng::new(request.seed);
        let count = 1 + rng.below(MAX_STEPS);
        let mut steps: Vec<ResolvedStep> = Vec::new();
        while steps.len() < count {
            let spec = &CATALOG[rng.below(CATALOG.len())];
            if steps.iter().any(|s| s.spec.name == spec.name) {
                continue;
            }
            let mut step = ResolvedStep::defaults(spec);
            for (v, p) in step.values.iter_mut().zip(spec.all_params()).skip(1) {
                if crate::catalog::LEVEL_PARAMS.contains(&p.name) {
                    continue;
                }
                *v = rng.range(p.min, p.max);
                if p.kind == ParamKind::Int {
                    *v = v.round();
                }
            }
            steps.push(step);
        }
        // Same severity as the keyword planner's, one fault's shared by its steps: the
        // ablation varies the choice of functions only.
        let severity = crate::plan::keyword::share_severity(&mut steps, &mut rng);
        let notes = vec![format!("{count} functions drawn uniformly, their non-level parameters over the catalog ranges; {severity}; the description was not read")];
        let provenance = Provenance::without_model(self.name(), notes);
        Ok(FaultPlan::new(
            &request.machine,
            &request.caption(),
            &steps,
            request.seed,
            provenance,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_cover_the_catalog_uniformly_and_validate() {
        let mut counts = std::collections::HashMap::new();
        for seed in 0..2000 {
            let req = PlanRequest {
                machine: "fan".into(),
                attributes: vec![],
                fault: String::new(),
                seed,
            };
            let plan = RandomPlanner.plan(&req).unwrap();
            assert!(plan.resolve().is_ok());
            assert!((1..=MAX_STEPS).contains(&plan.steps.len()));
            for s in &plan.steps {
                *counts.entry(s.function.clone()).or_insert(0) += 1;
            }
        }
        assert_eq!(counts.len(), CATALOG.len());
        let mean = counts.values().sum::<i32>() as f32 / counts.len() as f32;
        for (name, c) in counts {
            assert!(
                (c as f32 - mean).abs() < 0.25 * mean,
                "{name}: {c} vs mean {mean}"
            );
        }
    }
}
