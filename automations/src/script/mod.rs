//! The Rhai sandbox: one engine, built once and shared by every thread, that compiles a
//! condition when it is saved and runs the compiled form against each event.
//!
//! What a script can do: read the trigger's payload (`client`, `booking`, …, as read-only
//! constants), compute with Rhai's standard library and our `op_*` functions, and return
//! `true` or `false`. What it cannot: `eval`, `import` (a dummy module resolver answers
//! any that slips through), print anywhere, read a file or the network (the engine has
//! none of those functions), or run past the [`Limits`]: operations, call depth,
//! expression depth, string/array/map sizes, variables, and a wall-clock deadline checked
//! from `on_progress`.
//!
//! Variables are strict: a script is compiled with the trigger's payload names in scope,
//! so `clent.name` is refused when saved, with line and column. A map property that does
//! not exist (`client.nmae`) fails when the script runs, also with line and column, so a
//! test run catches it before the automation goes live.

mod error;
mod limits;
mod ops;

use std::sync::OnceLock;

use rhai::packages::{Package, StandardPackage};
use rhai::{AST, Dynamic, Engine, OptimizationLevel, Scope};
use serde_json::Value;

use crate::triggers::Trigger;

pub use error::{ScriptError, ScriptErrorKind};
pub use limits::Limits;

/// The sandboxed engine. Build one with [`Sandbox::new`] (about a millisecond) or use the
/// process-wide [`Sandbox::shared`].
pub struct Sandbox {
    engine: Engine,
    limits: Limits,
}

/// A compiled script: compile once when saved, run per event.
#[derive(Clone, Debug)]
pub struct Script {
    ast: AST,
    trigger: Trigger,
}

impl Script {
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }
}

/// A payload turned into script values once, ready for any number of runs.
#[derive(Clone, Debug)]
pub struct ScriptInput {
    scope: Scope<'static>,
}

impl ScriptInput {
    /// Converts a payload (a JSON object) into script constants, one per top-level key.
    pub fn from_payload(payload: &Value) -> Result<Self, ScriptError> {
        let map = payload.as_object().ok_or_else(|| {
            ScriptError::new(ScriptErrorKind::Payload, "the payload is not an object")
        })?;
        let mut scope = Scope::new();
        for (key, value) in map {
            let value = rhai::serde::to_dynamic(value)
                .map_err(|e| ScriptError::new(ScriptErrorKind::Payload, e.to_string()))?;
            scope.push_constant_dynamic(key.as_str(), value);
        }
        Ok(Self { scope })
    }
}

impl Sandbox {
    pub fn new(limits: Limits) -> Self {
        let mut engine = Engine::new_raw();
        StandardPackage::new().register_into_engine(&mut engine);
        ops::register(&mut engine);

        engine.disable_symbol("eval");
        engine.disable_symbol("import");
        engine.disable_symbol("export");
        engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());

        engine.set_strict_variables(true);
        engine.set_fail_on_invalid_map_property(true);
        engine.set_optimization_level(OptimizationLevel::Simple);

        engine.set_max_operations(limits.max_operations);
        engine.set_max_call_levels(limits.max_call_levels);
        engine.set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth);
        engine.set_max_string_size(limits.max_string_size);
        engine.set_max_array_size(limits.max_array_size);
        engine.set_max_map_size(limits.max_map_size);
        engine.set_max_variables(limits.max_variables);
        engine.set_max_functions(limits.max_functions);
        engine.set_max_modules(0);
        engine.on_progress(limits::check_deadline);

        Self { engine, limits }
    }

    /// The process-wide sandbox with the default limits.
    pub fn shared() -> &'static Sandbox {
        static SHARED: OnceLock<Sandbox> = OnceLock::new();
        SHARED.get_or_init(|| Sandbox::new(Limits::default()))
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Compiles a script for `trigger`. This is the check made when an automation is
    /// saved: syntax, disabled features, and variables the payload does not have.
    pub fn compile(&self, source: &str, trigger: Trigger) -> Result<Script, ScriptError> {
        let names: Vec<&str> = trigger.objects().iter().map(|o| o.key()).collect();
        // Placeholders, pushed as plain variables: the optimizer would fold constants
        // into the script.
        let mut scope = Scope::new();
        for name in &names {
            scope.push_dynamic(*name, Dynamic::UNIT);
        }
        let ast = self
            .engine
            .compile_with_scope(&scope, source)
            .map_err(|e| ScriptError::from_parse(&e, &names))?;
        Ok(Script { ast, trigger })
    }

    /// Runs a script and returns whatever it produced.
    pub(crate) fn run(&self, script: &Script, input: &ScriptInput) -> Result<Dynamic, ScriptError> {
        let mut scope = input.scope.clone();
        let _deadline = limits::DeadlineGuard::start(self.limits.deadline);
        self.engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &script.ast)
            .map_err(|e| ScriptError::from_eval(&e))
    }

    /// Runs a condition: it must produce `true` or `false`.
    pub fn run_condition(&self, script: &Script, input: &ScriptInput) -> Result<bool, ScriptError> {
        let value = self.run(script, input)?;
        value.as_bool().map_err(|_| {
            ScriptError::new(
                ScriptErrorKind::NotBool,
                format!(
                    "a condition must end in true or false, not a {}",
                    value.type_name()
                ),
            )
        })
    }

    /// Compiles and runs a condition against a JSON payload in one go (Test Mode with a
    /// script that has not been saved yet; live runs use the cached [`Script`]).
    pub fn check_condition(
        &self,
        source: &str,
        trigger: Trigger,
        payload: &Value,
    ) -> Result<bool, ScriptError> {
        let script = self.compile(source, trigger)?;
        self.run_condition(&script, &ScriptInput::from_payload(payload)?)
    }
}

#[cfg(test)]
mod tests;
